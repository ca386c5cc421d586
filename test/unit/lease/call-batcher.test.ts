import { describe, expect, it } from 'vitest';
import { CallBatcher } from '../../../src/lease/call-batcher.js';

/** A send that records each batch and answers when the test lets it. */
function recordingSend() {
  const batches: number[][] = [];
  const pending: (() => void)[] = [];
  const send = (items: readonly number[]) => {
    batches.push([...items]);
    return new Promise<number[]>((resolve) => pending.push(() => resolve(items.map((x) => x * 10))));
  };
  const answerNext = async () => {
    await new Promise((r) => setImmediate(r));
    pending.shift()?.();
  };
  return { batches, send, answerNext };
}

describe('CallBatcher', () => {
  it('sends a lone request at once, in a batch of its own', async () => {
    const { batches, send, answerNext } = recordingSend();
    const batcher = new CallBatcher(send);
    const result = batcher.submit(7);
    await answerNext();
    expect(await result).toBe(70);
    expect(batches).toEqual([[7]]);
  });

  it('gathers requests of one tick, and those made while a call is under way, in order', async () => {
    const { batches, send, answerNext } = recordingSend();
    const batcher = new CallBatcher(send);
    const first = [1, 2, 3].map((x) => batcher.submit(x));
    await new Promise((r) => setImmediate(r));
    const later = [4, 5].map((x) => batcher.submit(x));
    await answerNext();
    await answerNext();
    expect(await Promise.all([...first, ...later])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('splits a crowd into batches of at most maxBatch', async () => {
    const { batches, send, answerNext } = recordingSend();
    const batcher = new CallBatcher(send, { maxBatch: 2 });
    const all = [1, 2, 3, 4, 5].map((x) => batcher.submit(x));
    for (let i = 0; i < 3; i++) await answerNext();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('shares a crowd out over the calls it may have in flight, never below minShare', async () => {
    const { batches, send, answerNext } = recordingSend();
    const batcher = new CallBatcher(send, { maxInFlight: 2, minShare: 3 });
    const crowd = [1, 2, 3, 4, 5, 6, 7, 8].map((x) => batcher.submit(x));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    await answerNext();
    await answerNext();
    expect(await Promise.all(crowd)).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    // Four waiting, two calls free: a share of three (minShare), then the one left.
    const few = [9, 10, 11, 12].map((x) => batcher.submit(x));
    await answerNext();
    await answerNext();
    expect(await Promise.all(few)).toEqual([90, 100, 110, 120]);
    expect(batches.slice(2)).toEqual([[9, 10, 11], [12]]);
  });

  it('fails every request of a failed batch, and goes on with the next', async () => {
    let calls = 0;
    const batcher = new CallBatcher<number, number>(async (items) => {
      calls += 1;
      if (calls === 1) throw new Error('Redis went away');
      return items.map((x) => -x);
    });
    const failed = [1, 2].map((x) => batcher.submit(x));
    const outcomes = await Promise.allSettled(failed);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(await batcher.submit(3)).toBe(-3);
  });

  it('rejects a batch answered with the wrong number of results', async () => {
    const batcher = new CallBatcher<number, number>(async () => [1]);
    const both = [1, 2].map((x) => batcher.submit(x));
    const outcomes = await Promise.allSettled(both);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });
});
