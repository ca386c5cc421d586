/**
 * Counts the Redis commands and round trips this process sends, by command name, to compare the
 * aikeys pipeline with a raw BullMQ worker per job. Counted client side (a wrapper around
 * ioredis' Redis.prototype.sendCommand) because INFO commandstats is server-wide and other
 * engineers' tests share this Redis. A pipeline or MULTI is one round trip however many commands
 * it holds: ioredis hands every command of one exec the same `stream` object.
 */
import { Redis } from 'ioredis';

export interface CommandCounts {
  /** Command name (lower case) -> how many were sent. */
  readonly byName: ReadonlyMap<string, number>;
  readonly commands: number;
  readonly roundTrips: number;
}

export interface CommandCounter {
  /** Starts counting from zero. */
  reset(): void;
  snapshot(): CommandCounts;
  /** Puts the original sendCommand back. */
  uninstall(): void;
}

interface CommandLike {
  readonly name?: string;
  readonly args?: readonly unknown[];
}

type SendCommand = (this: Redis, command: CommandLike, stream?: object, node?: unknown) => unknown;

/**
 * `scriptNames` (sha or function -> name) counts each EVALSHA and FCALL under its script's name
 * ("fcall aikeys:lease"); without it every script is one "evalsha" or "fcall" line.
 */
export function installCommandCounter(scriptNames?: ReadonlyMap<string, string>): CommandCounter {
  const proto = Redis.prototype as unknown as { sendCommand: SendCommand };
  const original = proto.sendCommand;
  let byName = new Map<string, number>();
  let roundTrips = 0;
  let seenStreams = new WeakSet<object>();
  proto.sendCommand = function (this: Redis, command, stream, node) {
    let name = (command.name ?? '?').toLowerCase();
    if (scriptNames && (name === 'evalsha' || name === 'fcall')) {
      const id = String(command.args?.[0]);
      name = `${name} ${scriptNames.get(id) ?? id.slice(0, 8)}`;
    }
    byName.set(name, (byName.get(name) ?? 0) + 1);
    if (stream === undefined) roundTrips++;
    else if (!seenStreams.has(stream)) {
      seenStreams.add(stream);
      roundTrips++;
    }
    return original.call(this, command, stream, node);
  };
  return {
    reset() {
      byName = new Map();
      roundTrips = 0;
      seenStreams = new WeakSet();
    },
    snapshot() {
      let commands = 0;
      for (const n of byName.values()) commands += n;
      return { byName: new Map(byName), commands, roundTrips };
    },
    uninstall() {
      proto.sendCommand = original;
    },
  };
}

/** Sums counts from several batches (the bench interleaves its variants in rounds). */
export function addCounts(a: CommandCounts, b: CommandCounts): CommandCounts {
  const byName = new Map(a.byName);
  for (const [name, n] of b.byName) byName.set(name, (byName.get(name) ?? 0) + n);
  return { byName, commands: a.commands + b.commands, roundTrips: a.roundTrips + b.roundTrips };
}

export const NO_COUNTS: CommandCounts = { byName: new Map(), commands: 0, roundTrips: 0 };

/** "evalsha 2.00, xadd 1.00, ..." per job, most frequent first. */
export function perJob(counts: CommandCounts, jobs: number, top = 8): string {
  return [...counts.byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, n]) => `${name} ${(n / jobs).toFixed(2)}`)
    .join(', ');
}
