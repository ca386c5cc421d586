/**
 * Usage records that reach Postgres after their day was closed join that day's rollups, once: when
 * written long after the close (a Postgres outage held them in the usage stream), when written
 * again (a replayed batch), and when written while the close runs.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { closeDayInDb } from '../../../src/store/daily-history.js';
import { pruneRequestLogs } from '../../../src/store/log-retention.js';
import { writeUsageBatch, type UsageRecord } from '../../../src/store/request-logs.js';
import { isolate } from '../../setup/isolation.js';
import { seedKeys, type Seeded } from '../lease/fixtures.js';

const env = isolate('late-usage');
const TZ = 'America/New_York';
let db: Db;
let seeded: Seeded;
let accountId: number;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  seeded = await seedKeys(db, [{}, {}]);
  accountId = (await db('ai_accounts').first<{ account_id: number }>('account_id'))!.account_id;
});

afterAll(async () => {
  await db.destroy();
  await env.cleanup();
});

function record(at: string, over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    callId: randomUUID(),
    keyId: seeded.keyIds[0]!,
    accountId,
    provider: 'openai',
    model: 'gpt-4o',
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 10,
    usageEstimated: false,
    costUsd: 0.1,
    status: 200,
    error: null,
    jobId: randomUUID(),
    jobRun: 1,
    attempt: 1,
    at: Date.parse(at),
    client: 'app-a',
    ...over,
  };
}

interface DayFigures {
  requests: number;
  tokens: number;
  cost: number;
}

/** A day's totals in the per-key rollup, in the detail rollup, and in the log (in TZ). */
async function figures(day: string): Promise<{ byKey: DayFigures; detail: DayFigures; log: DayFigures }> {
  const sum = async (table: string) =>
    (await db(table)
      .where('day', day)
      .first(
        db.raw('COALESCE(SUM(requests), 0)::int AS requests'),
        db.raw('COALESCE(SUM(tokens), 0)::int AS tokens'),
        db.raw('COALESCE(SUM(cost), 0)::float AS cost'),
      )) as DayFigures;
  const { rows } = await db.raw<{ rows: DayFigures[] }>(
    `SELECT COUNT(*)::int AS requests, COALESCE(SUM(tokens_used), 0)::int AS tokens,
            COALESCE(SUM(estimated_cost), 0)::float AS cost
       FROM ai_request_logs
      WHERE created_at >= (?::date)::timestamp AT TIME ZONE ? AND created_at < (?::date + 1)::timestamp AT TIME ZONE ?`,
    [day, TZ, day, TZ],
  );
  return {
    byKey: await sum('ai_key_daily_usage'),
    detail: await sum('ai_key_daily_usage_detail'),
    log: rows[0]!,
  };
}

describe('usage written after its day closed', () => {
  it("joins the day's rollups once, and pruning the log takes nothing from them", async () => {
    // 2026-03-10 in New York runs from 05:00 UTC on the 10th to 04:00 UTC on the 11th (EDT).
    await writeUsageBatch(db, [record('2026-03-10T06:00:00Z'), record('2026-03-10T20:00:00Z')]);
    await closeDayInDb(db, '2026-03-10', TZ);
    expect((await figures('2026-03-10')).byKey).toEqual({ requests: 2, tokens: 20, cost: 0.2 });

    await pruneRequestLogs(db, { retentionDays: 1, nowMs: Date.parse('2026-03-11T12:00:00Z') });
    const late = [
      record('2026-03-11T03:59:59Z', { totalTokens: 5, costUsd: 0.05, client: null }),
      record('2026-03-11T04:00:01Z'), // already the 11th in New York: not closed, not added
    ];
    expect(await writeUsageBatch(db, late)).toBe(2);
    expect(await writeUsageBatch(db, late)).toBe(0); // replayed: nothing new, nothing added
    const day = await figures('2026-03-10');
    expect(day.byKey).toEqual({ requests: 3, tokens: 25, cost: 0.25 });
    expect(day.detail).toEqual(day.byKey);
    expect(
      await db('ai_key_daily_usage_detail')
        .where('day', '2026-03-10')
        .orderBy('client')
        .pluck<string[]>('client'),
    ).toEqual(['', 'app-a']);
    expect((await figures('2026-03-11')).byKey.requests).toBe(0);
  });

  it('counts every record once while batches of the day are written during its close', async () => {
    for (const day of ['2026-04-01', '2026-04-02', '2026-04-03', '2026-04-04']) {
      const noon = Date.parse(`${day}T16:00:00Z`);
      let writing = true;
      let batches = 0;
      const writers = [0, 1].map(async (w) => {
        while (writing || batches < 4) {
          const at = new Date(noon + (batches % 60) * 1000).toISOString();
          await writeUsageBatch(
            db,
            Array.from({ length: 20 }, (_, i) =>
              record(at, { keyId: seeded.keyIds[w]!, totalTokens: i + 1, model: i % 2 ? 'a' : 'b' }),
            ),
          );
          batches += 1;
        }
      });
      while (batches < 2) await new Promise((resolve) => setTimeout(resolve, 1));
      expect(await closeDayInDb(db, day, TZ)).toMatchObject({ closed: true });
      writing = false;
      await Promise.all(writers);
      const f = await figures(day);
      expect(f.log.requests).toBe(batches * 20);
      expect(f.byKey).toEqual({
        requests: f.log.requests,
        tokens: f.log.tokens,
        cost: expect.closeTo(f.log.cost, 8),
      });
      expect(f.detail).toEqual(f.byKey);
    }
  });
});
