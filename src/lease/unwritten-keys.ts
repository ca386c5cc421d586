/**
 * Key writes Postgres has not taken yet (it was unreachable), recorded in Redis next to the state
 * they would write, so that any replica finishes them: also after the replica that made them has
 * stopped, and for keys no one uses again. Two kinds: a status change (the key's whole state) and
 * counters. A mark is a version per kind and key id (HINCRBY on one hash, field `<kind>:<keyId>`, so
 * a flush reads every mark with one HGETALL). A replica reads the marks, writes the keys'
 * current Redis state to Postgres, then forgets each mark only if no one marked that key again
 * meanwhile (lua/forget-written-1.lua): a change made during its write is written by the next flush.
 */
import type { Redis } from 'ioredis';
import type { LeaseKeys } from './redis-keys.js';
import type { ScriptCaller } from './script-loader.js';

export type UnwrittenKind = 'states' | 'counters';

/** keyId -> the version read, per kind. */
export type UnwrittenMarks = Readonly<Record<UnwrittenKind, ReadonlyMap<number, string>>>;

export const NO_MARKS: UnwrittenMarks = { states: new Map(), counters: new Map() };

export interface UnwrittenKeys {
  mark(kind: UnwrittenKind, keyIds: readonly number[]): Promise<void>;
  read(): Promise<UnwrittenMarks>;
  /** Forgets the marks read, except those marked again since; returns how many it forgot. */
  forget(marks: UnwrittenMarks): Promise<number>;
}

const field = (kind: UnwrittenKind, keyId: number) => `${kind}:${keyId}`;

function toMarks(hash: Record<string, string>): UnwrittenMarks {
  const marks = { states: new Map<number, string>(), counters: new Map<number, string>() };
  for (const [name, version] of Object.entries(hash)) {
    const [kind, id] = name.split(':') as [UnwrittenKind, string];
    marks[kind]?.set(Number(id), version);
  }
  return marks;
}

export function unwrittenKeys(redis: Redis, keys: LeaseKeys, scripts: ScriptCaller): UnwrittenKeys {
  return {
    async mark(kind, keyIds) {
      if (keyIds.length === 0) return;
      const pipeline = redis.pipeline();
      for (const id of keyIds) pipeline.hincrby(keys.unwritten, field(kind, id), 1);
      for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
    },

    read: async () => toMarks(await redis.hgetall(keys.unwritten)),

    async forget(marks) {
      const args = (['states', 'counters'] as const).flatMap((kind) =>
        [...marks[kind]].flatMap(([id, version]) => [field(kind, id), version]),
      );
      if (args.length === 0) return 0;
      return Number(await scripts.call('forget-written', [keys.unwritten], args));
    },
  };
}
