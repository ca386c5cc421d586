/**
 * The pump writes every entry read already in one write to the client, and a reply whose part was
 * lost still ends with the frames read before it, then the error.
 */
import { describe, expect, it } from 'vitest';
import type { ReplySubscription } from '../../../src/gateway/reply-reader.js';
import { openAiSse } from '../../../src/gateway/sse-frames.js';
import { createStreamRelay, type StreamRelayOptions } from '../../../src/gateway/stream-relay.js';
import type { ReplyEntry } from '../../../src/jobs/reply-stream.js';

const usage = { promptTokens: 7, completionTokens: 3, totalTokens: 10, estimated: false };

/** Entries read in rounds: each inner list arrives together, a round per `next` that waits. */
function rounds(list: ReplyEntry[][]): ReplySubscription & { closed: boolean } {
  const queued: ReplyEntry[] = [];
  return {
    closed: false,
    take: () => queued.shift(),
    async next() {
      const round = list.shift();
      if (round === undefined) return 'timeout';
      queued.push(...round);
      return queued.shift()!;
    },
    close() {
      this.closed = true;
    },
  };
}

// pump uses none of the queue's parts: they serve `start`.
const relay = createStreamRelay({ timeoutMs: 1_000 } as StreamRelayOptions);

async function pumped(first: ReplyEntry, rest: ReplyEntry[][]) {
  const writes: string[] = [];
  const subscription = rounds(rest);
  let discarded = 0;
  const end = await relay.pump(
    { ok: true, first, subscription, discard: () => void (discarded += 1) },
    openAiSse('m', true),
    {
      write: (frames) => writes.push(frames),
      end: (frames) => void writes.push(`${frames}<end>`),
      gone: () => false,
    },
  );
  return { end, writes, discarded, closed: subscription.closed };
}

describe('the stream pump', () => {
  it('writes the entries of one read together, and the reply whole', async () => {
    const { end, writes, discarded, closed } = await pumped({ t: 'd', r: 1, n: 0, x: 'a' }, [
      [
        { t: 'd', r: 1, n: 1, x: 'b' },
        { t: 'd', r: 1, n: 2, x: 'c' },
        { t: 'end', r: 1, n: 3, m: 'm', f: 'stop', u: usage },
      ],
    ]);
    expect(end).toBe('done');
    expect([discarded, closed]).toEqual([1, true]);
    // The first entry alone (nothing else read yet), then the round of three in one write.
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain('"content":"b"');
    expect(writes[1]).toContain('"content":"c"');
    // The last frames end the response: one write for both.
    expect(writes[1]!.endsWith('data: [DONE]\n\n<end>')).toBe(true);
  });

  it('writes what it read before a lost part, then the error', async () => {
    const { end, writes, discarded } = await pumped({ t: 'd', r: 1, n: 0, x: 'a' }, [
      [
        { t: 'd', r: 1, n: 1, x: 'b' },
        { t: 'd', r: 1, n: 3, x: 'd' },
      ],
    ]);
    expect(end).toBe('lost');
    expect(discarded).toBe(0);
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain('"content":"b"');
    expect(writes[1]).not.toContain('"content":"d"');
    expect(writes[1]).toContain('Part of the reply was lost');
    expect(writes[1]!.endsWith('<end>')).toBe(true);
  });
});
