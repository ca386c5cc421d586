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
  /** The duplicate connection the events block on: ours to close (BullMQ leaves it open). */
  readonly connection: Redis;
  close(): Promise<void>;
}

/** Opens the reader and waits until it is ready. */
export async function openQueueEvents(
  connection: Redis,
  queueName: string,
  prefix: string,
): Promise<QueueEventsFromNow> {
  const [last] = await connection.xrevrange(`${prefix}:${queueName}:events`, '+', '-', 'COUNT', 1);
  const own = connection.duplicate();
  const events = new QueueEvents(queueName, { connection: own, prefix, lastEventId: last?.[0] ?? '0-0' });
  await events.waitUntilReady();
  return {
    events,
    connection: own,
    async close() {
      await events.close();
      own.disconnect();
    },
  };
}
