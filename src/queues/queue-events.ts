/**
 * BullMQ's QueueEvents, reading from the last event the queue has when it opens. QueueEvents is
 * ready once its connection is, but on its own it reads from '$' only at its first XREAD, sent
 * later (after naming the client, on a blocking connection of its own): an event written in between
 * (a job that finished at once) would never be heard of, and whoever waits on it waits out its
 * timeout.
 */
import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';

export interface QueueEventsFromNow {
  readonly events: QueueEvents;
  /** Closes the reader and the duplicate connection it blocks on (BullMQ leaves that one open). */
  close(): Promise<void>;
}

/** Where a reader of an events stream starts so that it misses nothing written from now on. */
export async function lastEventId(connection: Redis, eventsKey: string): Promise<string> {
  const [last] = await connection.xrevrange(eventsKey, '+', '-', 'COUNT', 1);
  return last?.[0] ?? '0-0';
}

/** Opens the reader and waits until it is ready. */
export async function openQueueEvents(
  connection: Redis,
  queueName: string,
  prefix: string,
): Promise<QueueEventsFromNow> {
  // BullMQ's key for a queue's events stream.
  const from = await lastEventId(connection, `${prefix}:${queueName}:events`);
  const own = connection.duplicate();
  const events = new QueueEvents(queueName, { connection: own, prefix, lastEventId: from });
  await events.waitUntilReady();
  return {
    events,
    async close() {
      await events.close();
      own.disconnect();
    },
  };
}
