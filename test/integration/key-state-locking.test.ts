/**
 * Replicas write key state to the same rows at once: counter batches in whatever order their keys
 * were used, single status writes, the maintenance resets, an import, and usage-log inserts naming
 * the keys. Every writer that touches several rows locks them in key_id order and nothing
 * share-locks them besides, so no two writers can wait on each other. Postgres once aborted one
 * with "deadlock detected" in the 4-process lease test; the writes now run again if that happens,
 * so this test counts the deadlocks Postgres detected, not only the errors that reach a caller.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey, KeyRing } from '../../src/crypto/key-ring.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDb, openDatabase, type Db } from '../../src/store/database.js';
import { importConfig } from '../../src/store/import-config.js';
import { writeUsageBatch } from '../../src/store/request-logs.js';
import {
  resetDailyInDb,
  unblockExpiredInDb,
  writeKeyCounters,
  writeKeyState,
  type KeyStateWrite,
} from '../../src/store/key-state-writes.js';
import type { UsageRecord } from '../../src/store/request-logs.js';
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
let writersDb: Db;
let keyIds: number[];
let accountOf: Map<number, number>;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl, { poolMax: 1 });
  await importConfig(db, CONFIGS[0]!, { ring });
  const rows = await db('ai_api_keys').orderBy('key_id').select<{ key_id: number; account_id: number }[]>();
  keyIds = rows.map((r) => r.key_id);
  accountOf = new Map(rows.map((r) => [r.key_id, r.account_id]));
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

function usageOf(keyId: number, jobId: string): UsageRecord {
  return {
    callId: randomUUID(),
    keyId,
    accountId: accountOf.get(keyId)!,
    provider: 'openai',
    model: 'gpt-4-turbo',
    promptTokens: 1,
    completionTokens: 1,
    totalTokens: 2,
    usageEstimated: false,
    costUsd: 0,
    status: 200,
    error: null,
    jobId,
    jobRun: 1,
    attempt: 1,
    at: Date.now(),
  };
}

/**
 * Deadlocks Postgres detected in this database. A backend reports its counts when it exits, so this
 * waits until every other connection to the database has closed.
 */
async function deadlocksDetected(): Promise<number> {
  const others = `SELECT count(*)::int AS n FROM pg_stat_activity
                   WHERE datname = current_database() AND pid <> pg_backend_pid()`;
  for (let i = 0; i < 200; i += 1) {
    if ((await db.raw<{ rows: { n: number }[] }>(others)).rows[0]!.n === 0) break;
    await sleep(25);
  }
  await db.raw('SELECT pg_stat_clear_snapshot()');
  const stats = await db.raw<{ rows: { n: number }[] }>(
    'SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()',
  );
  return stats.rows[0]!.n;
}

async function writer(w: number): Promise<void> {
  for (let round = 0; round < ROUNDS; round += 1) {
    const now = Date.now();
    const order = shuffled(keyIds, w * 1000 + round + 1);
    await writeKeyCounters(
      writersDb,
      order.map((id) => stateOf(id, round, now)),
    );
    if (round % 10 === w % 10) await writeKeyState(writersDb, stateOf(order[0]!, round, now));
    if (w === 0 && round % 15 === 0) await resetDailyInDb(writersDb);
    if (w === 1 && round % 15 === 0) await unblockExpiredInDb(writersDb);
    // Usage records name the same keys (no foreign key: migrations/004 says why).
    if (w >= 3)
      await writeUsageBatch(
        writersDb,
        order.map((id, i) => usageOf(id, `w${w}-r${round}-${i}`)),
      );
    if (w === 2 && round % 6 === 0) await importConfig(writersDb, CONFIGS[(round / 6) % 2]!, { ring });
  }
}

describe('key state writes from many replicas', () => {
  it('all land and never deadlock, whatever order each batch names its keys in', async () => {
    writersDb = createDb(env.databaseUrl, { poolMax: WRITERS });
    const results = await Promise.allSettled(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    await writersDb.destroy();
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(errors).toEqual([]);
    expect(await deadlocksDetected()).toBe(0);
    // The last import (round 54) applied the second config to every key.
    const limits = await db('ai_api_keys').orderBy('key_id').pluck('daily_limit');
    expect(limits.map(Number)).toEqual(keyIds.map(() => 50_000));
  });
});
