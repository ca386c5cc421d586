/**
 * `prune-logs` removes `ai_request_logs` rows older than the retention in batches, while usage
 * writes go on, and leaves the daily rollups alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { closeDayInDb } from '../../../src/store/daily-history.js';
import { pruneRequestLogs } from '../../../src/store/log-retention.js';
import { isolate } from '../../setup/isolation.js';
import { seedKeys, type Seeded } from '../lease/fixtures.js';
import { insertLogs, type LogRow } from './log-rows.js';

const env = isolate('log-retention');
const NOW_MS = Date.parse('2026-06-01T12:00:00Z');
let db: Db;
let seeded: Seeded;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  seeded = await seedKeys(db, [{}]);
});

afterAll(async () => {
  await db.destroy();
  await env.cleanup();
});

describe('log retention', () => {
  it('deletes rows older than the retention in batches while new rows keep arriving', async () => {
    const keyId = seeded.keyIds[0]!;
    const old: LogRow[] = Array.from({ length: 2_500 }, (_, i) => ({
      keyId,
      at: new Date(Date.parse('2026-02-01T00:00:00Z') + i * 60_000).toISOString(),
      tokens: 1,
      cost: 0.001,
    }));
    for (let i = 0; i < old.length; i += 500) await insertLogs(db, old.slice(i, i + 500));
    await insertLogs(db, [{ keyId, at: '2026-05-20T00:00:00Z', tokens: 5 }]); // inside 30 days
    expect(await closeDayInDb(db, '2026-02-01', 'UTC')).toMatchObject({ closed: true });

    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await insertLogs(db, [{ keyId, at: new Date(NOW_MS).toISOString(), tokens: 1 }]);
        written += 1;
      }
    })();
    const result = await pruneRequestLogs(db, { retentionDays: 30, nowMs: NOW_MS, batchRows: 200 });
    writing = false;
    await writer;

    expect(result).toMatchObject({ deleted: 2_500, before: '2026-05-02T12:00:00.000Z' });
    expect(result.batches).toBeGreaterThanOrEqual(13);
    expect(written).toBeGreaterThan(0);
    const left = await db('ai_request_logs').count<{ n: string }[]>('* as n');
    expect(Number(left[0]!.n)).toBe(1 + written);
    const older = await db('ai_request_logs')
      .where('created_at', '<', new Date(result.before))
      .count<{ n: string }[]>('* as n');
    expect(Number(older[0]!.n)).toBe(0);
    // The history of the pruned days stays.
    expect(await db('ai_key_daily_usage').select('requests')).toEqual([{ requests: 1440 }]);
  });
});
