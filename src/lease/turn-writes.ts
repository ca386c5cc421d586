/**
 * Holds a connection's socket writes until the end of this turn of the event loop, so that what the
 * turn sends on it leaves in one write. Used for a job's last release on the worker's BullMQ
 * connection: the release is sent first and BullMQ's completion of the job a few microtasks later;
 * held together they cost one write and one wake-up instead of two of each (at low job rates a
 * socket write to Redis costs tens of µs of CPU, more than the script call's own work).
 *
 * Redis runs a connection's commands in the order they were written, so holding them changes
 * nothing about what runs first. A Cluster client has no single socket: its writes go out as they
 * come, in the same order.
 */
import type { Redis } from 'ioredis';

const held = new WeakSet<object>();

export function gatherTurnWrites(redis: Redis): void {
  const stream = (redis as Partial<Pick<Redis, 'stream'>>).stream;
  if (redis.status !== 'ready' || !stream || stream.destroyed || held.has(stream)) return;
  held.add(stream);
  stream.cork();
  // setImmediate runs after this turn's I/O callbacks and every microtask they queued.
  setImmediate(() => {
    held.delete(stream);
    stream.uncork();
  });
}
