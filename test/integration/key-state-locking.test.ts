/**
 * Replicas write key state to the same rows at once: counter batches in whatever order their keys
 * were used, single status writes, the maintenance resets and an import. Every writer that touches
 * several rows locks them in key_id order, so no two of them can wait on each other (Postgres would
 * otherwise abort one with "deadlock detected", as it once did in the 4-process lease test).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey, KeyRing } from '../../src/crypto/key-ring.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { importConfig } from '../../src/store/import-config.js';
import {
  resetDailyInDb,
  unblockExpiredInDb,
  writeKeyCounters,
  writeKeyState,
  type KeyStateWrite,
} from '../../src/store/key-state.js';
import { isolate } from '../setup/isolation.js';
import { buildConfig, type KeySpec } from './import-fixtures.js';

const env = isolate('key-state-locking');
const WRITERS = 8;
const ROUNDS = 60;
const masterKey = generateMasterKey();
const ring = KeyRing.fromSecrets(masterKey);
const SECRETS = Array.from({ length: 12 }, (_, i) => `sk-lock-${i}-${'abcdefghij'.repeat(3)}`);
// Two configs that number the same keys in opposite orders: each import rewrites every row, the
// second walking them from the highest key_id down.
const CONFIGS = [
  SECRETS.map((secret, i): KeySpec => ({ n: i + 1, secret })),
  SECRETS.map((secret, i): KeySpec => ({ n: SECRETS.length - i, secret, dailyLimit: 50_000 })),
].map((specs) => buildConfig(masterKey, specs));
let db: Db;
let keyIds: number[];

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl, { poolMax: WRITERS + 2 });
  await importConfig(db, CONFIGS[0]!, { ring });
  keyIds = await db('ai_api_keys').orderBy('key_id').pluck('key_id');
});

afterAll(async () => {
  await db.destroy();
  await env.cleanup();
});

/** A deterministic shuffle, different per writer and round, so each batch locks in its own order. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i -= 1) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function stateOf(keyId: number, usedToday: number, lastUsedAtMs: number): KeyStateWrite {
  return {
    keyId,
    status: 'active',
    disabledKind: null,
    disabledReason: null,
    blockUntilMs: null,
    consecutiveFailures: 0,
    usedToday,
    lastUsedAtMs,
  };
}

async function writer(w: number): Promise<void> {
  for (let round = 0; round < ROUNDS; round += 1) {
    const now = Date.now();
    const order = shuffled(keyIds, w * 1000 + round + 1);
    await writeKeyCounters(
      db,
      order.map((id) => stateOf(id, round, now)),
    );
    if (round % 10 === w % 10) await writeKeyState(db, stateOf(order[0]!, round, now));
    if (w === 0 && round % 15 === 0) await resetDailyInDb(db);
    if (w === 1 && round % 15 === 0) await unblockExpiredInDb(db);
    if (w === 2 && round % 6 === 0) await importConfig(db, CONFIGS[(round / 6) % 2]!, { ring });
  }
}

describe('key state writes from many replicas', () => {
  it('never deadlock, whatever order each batch names its keys in', async () => {
    const results = await Promise.allSettled(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(errors).toEqual([]);
    // The last import (round 54) applied the second config to every key.
    const limits = await db('ai_api_keys').orderBy('key_id').pluck('daily_limit');
    expect(limits.map(Number)).toEqual(keyIds.map(() => 50_000));
  });
});
