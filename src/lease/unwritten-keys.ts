/**
 * Key writes Postgres has not taken yet (it was unreachable), recorded in Redis next to the state
 * they would write, so that any replica finishes them: also after the replica that made them has
 * stopped, and for keys no one uses again. Two kinds: a status change (the key's whole state) and
 * counters. A mark is a version per key id (HINCRBY). A replica reads the marks, writes the keys'
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

function toMarks(hash: Record<string, string>): Map<number, string> {
  return new Map(Object.entries(hash).map(([id, version]) => [Number(id), version]));
}

export function unwrittenKeys(redis: Redis, keys: LeaseKeys, scripts: ScriptCaller): UnwrittenKeys {
  const names = keys.unwritten;
  return {
    async mark(kind, keyIds) {
      if (keyIds.length === 0) return;
      const pipeline = redis.pipeline();
      for (const id of keyIds) pipeline.hincrby(names[kind], String(id), 1);
      for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
    },

    async read() {
      const [states, counters] = await Promise.all([
        redis.hgetall(names.states),
        redis.hgetall(names.counters),
      ]);
      return { states: toMarks(states), counters: toMarks(counters) };
    },

    async forget(marks) {
      let forgotten = 0;
      for (const kind of ['states', 'counters'] as const) {
        const args = [...marks[kind]].flatMap(([id, version]) => [String(id), version]);
        if (args.length > 0) forgotten += Number(await scripts.call('forget-written', [names[kind]], args));
      }
      return forgotten;
    },
  };
}
