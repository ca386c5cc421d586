/**
 * The worker's reply sink and the front door's reply reader on a real Redis: entries in order with
 * their TTL, text merged while a write is in flight, and one blocking reader following many
 * replies, woken at once when a new one starts while it is blocked, that hands out what a round
 * read before it sends its next XREAD.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReplyReader, type ReplyReader } from '../../../src/gateway/reply-reader.js';
import { createReplyStreams } from '../../../src/jobs/reply-sink.js';
import type { ReplyEntry } from '../../../src/jobs/reply-stream.js';
import { REPLY_TTL_SECONDS } from '../../../src/jobs/reply-stream.js';
import { replyStreamKey } from '../../../src/lease/redis-keys.js';
import { isolate } from '../../setup/isolation.js';
import { watchCommands } from '../../setup/watch-commands.js';

const env = isolate('reply-stream');
let redis: Redis;
let reader: ReplyReader;
const usage = { promptTokens: 3, completionTokens: 2, totalTokens: 5, estimated: true };

beforeAll(async () => {
  redis = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
  reader = await createReplyReader(redis, env.prefix);
});

afterAll(async () => {
  await reader?.close();
  redis?.disconnect();
  await env.cleanup();
});

async function drain(jobId: string, deadlineMs = Date.now() + 5_000): Promise<ReplyEntry[]> {
  const sub = reader.follow(jobId);
  const entries: ReplyEntry[] = [];
  try {
    for (;;) {
      const entry = await sub.next(deadlineMs);
      if (entry === 'timeout') throw new Error(`timed out after ${JSON.stringify(entries)}`);
      entries.push(entry);
      if (entry.t !== 'd') return entries;
    }
  } finally {
    sub.close();
  }
}

describe('reply streams', () => {
  it('writes pieces in order, merges those that arrive during a write, and ends with the usage', async () => {
    const sink = createReplyStreams(redis, env.prefix).open('job-1', 2);
    const pieces = Array.from({ length: 50 }, (_, i) => `p${i} `);
    for (const piece of pieces) sink.delta(piece, 'model-x');
    await sink.end('model-x', 'stop', usage);
    const entries = await drain('job-1');
    const text = entries.flatMap((e) => (e.t === 'd' ? [e.x] : [])).join('');
    expect(text).toBe(pieces.join(''));
    // Fifty pieces given in one tick: the first write carries one, the rest wait and go as one.
    expect(entries.length).toBeLessThan(10);
    expect(entries.map((e) => e.n)).toEqual(entries.map((_, i) => i));
    expect(entries.every((e) => e.r === 2)).toBe(true);
    expect(entries[0]).toMatchObject({ t: 'd', m: 'model-x' });
    expect(entries.at(-1)).toEqual({
      t: 'end',
      r: 2,
      n: entries.length - 1,
      m: 'model-x',
      f: 'stop',
      u: usage,
    });
    const ttl = await redis.ttl(replyStreamKey(env.prefix, 'job-1'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(REPLY_TTL_SECONDS);
  });

  it('ends a broken reply with an err entry after the text sent', async () => {
    const sink = createReplyStreams(redis, env.prefix).open('job-2', 1);
    expect(sink.started).toBe(false);
    sink.delta('half', 'm');
    expect(sink.started).toBe(true);
    await sink.fail('key_1: HTTP 200 stream broke');
    expect(await drain('job-2')).toEqual([
      { t: 'd', r: 1, n: 0, x: 'half', m: 'm' },
      { t: 'err', r: 1, n: 1, msg: 'key_1: HTTP 200 stream broke' },
    ]);
  });

  it('wakes the blocked reader at once for a reply that starts while it blocks', async () => {
    // The reader blocks on a reply that never comes...
    const idle = reader.follow('never');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // ...then a second reply starts and is written straight away: it must not wait out the block (5 s).
    const started = Date.now();
    const sub = reader.follow('job-3');
    const sink = createReplyStreams(redis, env.prefix).open('job-3', 1);
    await sink.end('m', 'stop', usage);
    const entry = await sub.next(Date.now() + 4_000);
    expect(entry).toMatchObject({ t: 'end' });
    expect(Date.now() - started).toBeLessThan(1_000);
    sub.close();
    idle.close();
    expect(reader.following).toBe(0);
  });

  it('follows many replies at once, each getting only its own entries', async () => {
    const streams = createReplyStreams(redis, env.prefix);
    const ids = Array.from({ length: 40 }, (_, i) => `many-${i}`);
    const reading = ids.map((id) => drain(id));
    await Promise.all(
      ids.map(async (id) => {
        const sink = streams.open(id, 1);
        sink.delta(`${id} says hi`, 'm');
        await sink.end('m', 'stop', usage);
      }),
    );
    const replies = await Promise.all(reading);
    replies.forEach((entries, i) => {
      expect(entries.flatMap((e) => (e.t === 'd' ? [e.x] : [])).join('')).toBe(`${ids[i]} says hi`);
    });
  });

  it('hands over entries read already without waiting, and answers timeout by a deadline nearer than the last', async () => {
    const sink = createReplyStreams(redis, env.prefix).open('job-5', 1);
    sink.delta('one ', 'm');
    await expect.poll(() => reader.length('job-5')).toBe(1);
    sink.delta('two', 'm');
    await sink.end('m', 'stop', usage);
    const sub = reader.follow('job-5');
    expect(await sub.next(Date.now() + 4_000)).toMatchObject({ t: 'd', x: 'one ', n: 0 });
    await expect.poll(() => reader.length('job-5')).toBe(3);
    // The reader reads all three in one round: the rest are there to take at once.
    await expect.poll(() => sub.take(), { interval: 5 }).toMatchObject({ t: 'd', x: 'two', n: 1 });
    expect(sub.take()).toMatchObject({ t: 'end', n: 2 });
    expect(sub.take()).toBeUndefined();
    sub.close();
    // The first wait sets the timer for its far deadline; a nearer one later must still be kept.
    const other = reader.follow('job-6');
    createReplyStreams(redis, env.prefix).open('job-6', 1).delta('only', 'm');
    expect(await other.next(Date.now() + 60_000)).toMatchObject({ t: 'd', x: 'only' });
    const deadline = Date.now() + 50;
    expect(await other.next(deadline)).toBe('timeout');
    expect(Date.now()).toBeGreaterThanOrEqual(deadline);
    other.close();
  });

  it("hands out a round's entries, and what they release, before it sends its next XREAD", async () => {
    const key = replyStreamKey(env.prefix, 'job-order');
    const order: string[] = [];
    const restore = watchCommands(
      (_, command) => command.name === 'xread' && command.args?.includes(key) === true,
      () => order.push('xread'),
    );
    const sub = reader.follow('job-order');
    try {
      await expect.poll(() => order.length).toBe(1);
      createReplyStreams(redis, env.prefix).open('job-order', 1).delta('first', 'm');
      // What a request's pump writes, it writes in the microtasks after the entry.
      await sub.next(Date.now() + 4_000).then(() => order.push('answered'));
      await expect.poll(() => order.length).toBeGreaterThanOrEqual(3);
      expect(order.slice(0, 3)).toEqual(['xread', 'answered', 'xread']);
    } finally {
      restore();
      sub.close();
    }
  });

  it('counts and discards a relayed reply', async () => {
    const sink = createReplyStreams(redis, env.prefix).open('job-4', 1);
    await sink.end('m', 'stop', usage);
    expect(await reader.length('job-4')).toBe(1);
    reader.discard('job-4');
    await expect.poll(() => reader.length('job-4')).toBe(0);
    expect(await reader.length('never-written')).toBe(0);
  });
});
