/**
 * The snapshot the lease state is rebuilt from counts a key's spend today as the larger of
 * `used_today` and the tokens logged for it since today's reset, so a Redis that lost the last
 * second's counters (they reach `used_today` about once a second) does not hand those tokens back.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/database.js';
import { loadKeyStateSnapshot } from '../../src/store/lease-snapshot.js';
import { isolate } from '../setup/isolation.js';
import { seedKeys, type Seeded } from './lease/fixtures.js';

const env = isolate('lease-snapshot');
let db: Db;
let seeded: Seeded;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  seeded = await seedKeys(db, [{ usedToday: 0 }, { usedToday: 500 }, { usedToday: 0 }]);
});

afterAll(async () => {
  await db.destroy();
  await env.cleanup();
});

async function logCall(keyId: number, tokens: number, at: Date): Promise<void> {
  const key = await db('ai_api_keys').where({ key_id: keyId }).first<{ account_id: number }>();
  await db('ai_request_logs').insert({
    key_id: keyId,
    account_id: key.account_id,
    provider: 'openai',
    model: 'gpt-4-turbo',
    prompt_tokens: tokens,
    completion_tokens: 0,
    tokens_used: tokens,
    response_status: 200,
    job_id: randomUUID(),
    call_id: randomUUID(),
    created_at: at,
  });
}

describe('key state snapshot', () => {
  it('takes the larger of used_today and the tokens logged since today began (UTC)', async () => {
    const [unwritten, written, yesterdayOnly] = seeded.keyIds as [number, number, number];
    const now = new Date();
    const yesterday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - 60_000);
    await logCall(unwritten, 120, now);
    await logCall(unwritten, 30, now);
    await logCall(written, 200, now); // used_today (500) already holds more
    await logCall(yesterdayOnly, 999, yesterday); // before today's reset: not today's spend

    const snapshot = await loadKeyStateSnapshot(db);
    const used = new Map(snapshot.keys.map((k) => [k.keyId, k.usedToday]));
    expect(used.get(unwritten)).toBe(150);
    expect(used.get(written)).toBe(500);
    expect(used.get(yesterdayOnly)).toBe(0);
  });
});
