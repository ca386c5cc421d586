/**
 * The front door's events reader hands out a round's events before it sends its next XREAD: the
 * answers those events release (written in the microtasks that follow) go to their sockets first.
 * An event written while the next XREAD waits for its turn is still read.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobEventsClientName, readJobEvents, type JobEvent } from '../../../src/gateway/job-events.js';
import { isolate } from '../../setup/isolation.js';
import { watchCommands } from '../../setup/watch-commands.js';

const env = isolate('gwevents');
let redis: Redis;

beforeAll(() => {
  redis = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  redis?.disconnect();
  await env.cleanup();
});

/** Records each XREAD the reader of `eventsKey` sends (its connection carries the reader's name). */
function watchXreads(eventsKey: string, order: string[]): () => void {
  const name = jobEventsClientName(eventsKey);
  return watchCommands(
    (client, command) => command.name === 'xread' && client.options.connectionName === name,
    () => order.push('xread'),
  );
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const completed = (jobId: string) =>
  ['event', 'completed', 'jobId', jobId, 'returnvalue', JSON.stringify({ content: jobId })] as const;

describe('readJobEvents', () => {
  it("hands out a round's events, and what they release, before it sends its next XREAD", async () => {
    const key = `${env.prefix}:order-events`;
    const order: string[] = [];
    const events: JobEvent[] = [];
    const restore = watchXreads(key, order);
    const reader = await readJobEvents(redis, key, (event) => {
      events.push(event);
      // An answer as a request's handler writes it: in the microtasks after the event.
      void Promise.resolve().then(() => order.push(`answered ${event.jobId}`));
    });
    try {
      await until(() => order.length === 1);
      await redis.xadd(key, '*', ...completed('first'));
      await until(() => order.length >= 3);
      expect(order).toEqual(['xread', 'answered first', 'xread']);

      // Events written together, or while no XREAD is blocked, all arrive, in order.
      await redis.xadd(key, '*', 'event', 'active', 'jobId', 'second');
      await redis.xadd(key, '*', ...completed('second'));
      await redis.xadd(key, '*', 'event', 'failed', 'jobId', 'third', 'failedReason', 'boom');
      await until(() => events.length === 3);
      expect(events).toEqual([
        { kind: 'completed', jobId: 'first', returnvalue: { content: 'first' } },
        { kind: 'completed', jobId: 'second', returnvalue: { content: 'second' } },
        { kind: 'failed', jobId: 'third', failedReason: 'boom' },
      ]);
    } finally {
      restore();
      await reader.close();
    }
  });
});
