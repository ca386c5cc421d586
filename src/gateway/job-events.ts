/**
 * The queue's `completed` and `failed` events, read from its BullMQ events stream with one blocking
 * XREAD loop. BullMQ's QueueEvents does the same read, but turns every event of the queue (added,
 * waiting, active, ...: five or more per job) into an object and two emits, and arms a watchdog
 * timer per read; the front door needs two kinds of event, by job id, so the others are skipped
 * after one field comparison.
 *
 * Reading starts at the stream's last entry when the reader starts (not `$` at the first XREAD),
 * so an event written between the start and that XREAD is not missed.
 *
 * Each XREAD after the first is sent from `setImmediate`, not as soon as the round's events are
 * handed out: the HTTP answers those events release (written in this turn's microtasks) and the
 * turn's other callbacks (a worker's next Redis call, in a process that runs workers) go first, as
 * each socket write can cost a tenth of a millisecond or more. Nothing is missed meanwhile: the
 * next XREAD reads on from the last id and returns at once with whatever was written in between.
 */
import type { Redis } from 'ioredis';
import { lastEventId } from '../queues/queue-events.js';

export type JobEvent =
  | { readonly kind: 'completed'; readonly jobId: string; readonly returnvalue: unknown }
  | { readonly kind: 'failed'; readonly jobId: string; readonly failedReason: string };

export interface JobEventsReader {
  close(): Promise<void>;
}

/** Upper bound on one XREAD's wait; it returns as soon as anything is written. */
const BLOCK_MS = 5_000;
/** Entries read per round. */
const COUNT = 1_000;

type XreadReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

/** The value of `name` in an entry's flat field list, or undefined. */
function field(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i < fields.length - 1; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function eventOf(fields: readonly string[]): JobEvent | undefined {
  // BullMQ writes `event` first.
  const kind = fields[0] === 'event' ? fields[1] : field(fields, 'event');
  if (kind !== 'completed' && kind !== 'failed') return undefined;
  const jobId = field(fields, 'jobId');
  if (jobId === undefined) return undefined;
  if (kind === 'failed') return { kind, jobId, failedReason: field(fields, 'failedReason') ?? '' };
  const raw = field(fields, 'returnvalue');
  let returnvalue: unknown = null;
  try {
    returnvalue = raw === undefined ? null : JSON.parse(raw);
  } catch {
    returnvalue = raw;
  }
  return { kind, jobId, returnvalue };
}

/** The client name of a reader's connection (CLIENT LIST), after its events stream's key. */
export const jobEventsClientName = (eventsKey: string): string => `${eventsKey}:gateway-reader`;

/** `eventsKey`: the queue's events stream (`queue.keys.events`). */
export async function readJobEvents(
  connection: Redis,
  eventsKey: string,
  onEvent: (event: JobEvent) => void,
): Promise<JobEventsReader> {
  // XREAD BLOCK holds its connection: a duplicate that is ours to close.
  const blocking = connection.duplicate({ connectionName: jobEventsClientName(eventsKey) });
  let lastId = await lastEventId(connection, eventsKey);
  let closed = false;

  async function loop(): Promise<void> {
    while (!closed) {
      try {
        const reply = (await blocking.xread(
          'COUNT',
          COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          eventsKey,
          lastId,
        )) as XreadReply;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            const event = eventOf(fields);
            if (event !== undefined) onEvent(event);
          }
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      } catch {
        // Redis away: the requests' deadlines still answer them; read on from lastId shortly.
        if (!closed) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  const running = loop();

  return {
    async close() {
      closed = true;
      blocking.disconnect();
      await running;
    },
  };
}
