/**
 * The scheduled daily reset closes the local day that ended in AI_TIMEZONE: it rolls that day's
 * usage log into `ai_key_daily_usage`, then zeroes the counters in Redis and Postgres, once. Run
 * again for the same day, or by two replicas at once, it changes nothing. The clock is passed in:
 * Europe/Berlin's 2026-03-29 has 23 hours (clocks go from 02:00 to 03:00 CET→CEST).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigManager } from '../../../src/config/config-manager.js';
import { silentLogger } from '../../../src/core/logger.js';
import { generateMasterKey, KeyRing } from '../../../src/crypto/key-ring.js';
import type { MaintenanceTarget } from '../../../src/jobs/maintenance.js';
import { buildContainer, type Container } from '../../../src/runtime/container.js';
import { createMaintenanceTarget } from '../../../src/runtime/maintenance-target.js';
import { importConfig } from '../../../src/store/import-config.js';
import { isolate } from '../../setup/isolation.js';
import { insertLogs } from './log-rows.js';

const env = isolate('daily-reset');
/** 00:00:05 on 2026-03-30 in Berlin (CEST, UTC+2): the reset that closes 2026-03-29. */
const AFTER_DST_DAY = new Date('2026-03-29T22:00:05Z');
/** 00:00:05 on 2026-03-31 in Berlin: the next day's reset. */
const NEXT_MIDNIGHT = new Date('2026-03-30T22:00:05Z');

let replicas: Container[];
let clock: Date;
let targets: MaintenanceTarget[];
let keyIds: Map<string, number>;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'aikeys-reset-'));
  const file = path.join(dir, '.env.local');
  const secret = () => `sk-${randomBytes(8).toString('hex')}`;
  writeFileSync(
    file,
    [
      `AI_ENCRYPTION_KEY=${generateMasterKey().reveal()}`,
      'AI_TIMEZONE=Europe/Berlin',
      'AI_ACCOUNT_MONTHLY_BUDGET=100', // Redis keeps an account's spend only under a budget
      `KEY_1=${secret()}`,
      `KEY_2=${secret()}`,
      '',
    ].join('\n'),
  );
  const manager = new ConfigManager({ file, env: env.env });
  const config = manager.config;
  replicas = [await buildContainer(config, silentLogger), await buildContainer(config, silentLogger)];
  const db = replicas[0]!.db;
  await importConfig(db, manager.readForImport(), { ring: KeyRing.fromSecrets(config.system.encryptionKey) });
  await replicas[0]!.pool.hydrate();
  keyIds = new Map(
    (await db('ai_api_keys').select<{ key_name: string; key_id: number }[]>('key_name', 'key_id')).map(
      (r) => [r.key_name, r.key_id],
    ),
  );
  clock = AFTER_DST_DAY;
  targets = replicas.map((c) =>
    createMaintenanceTarget({
      db: c.db,
      pool: c.pool,
      importableConfig: () => manager.readForImport(),
      system: manager.config.system,
      logger: silentLogger,
      now: () => clock,
    }),
  );
});

afterAll(async () => {
  for (const c of replicas) await c.close();
  await env.cleanup();
});

/** Spends `tokens` on a key through the pool (a lease and a successful release), written to Postgres. */
async function spend(tokens: number, costUsd = 0): Promise<number> {
  const pool = replicas[0]!.pool;
  const lease = await pool.lease({ provider: 'openai', estimatedTokens: 1 });
  if (!lease.ok) throw new Error(`no key to spend on: ${JSON.stringify(lease)}`);
  await pool.release(lease.key, { kind: 'success', tokens, costUsd });
  await pool.flush();
  return lease.key.keyId;
}

async function usedToday(): Promise<{ redis: number; postgres: number }> {
  const ids = [...keyIds.values()];
  const states = await replicas[0]!.engine.keyStates(ids);
  const rows = await replicas[0]!.db('ai_api_keys').sum<{ s: string }>('used_today as s').first();
  return { redis: states.reduce((n, s) => n + s.usedToday, 0), postgres: Number(rows?.s ?? 0) };
}

/** The per key, model and client rollups, with whether their day is marked detailed. */
async function detail(): Promise<Record<string, unknown>[]> {
  const { rows } = await replicas[0]!.db.raw<{ rows: Record<string, unknown>[] }>(
    `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, d.key_id, d.model, d.client, d.requests,
            d.tokens::int AS tokens, d.cost::float AS cost, d.failures, p.detailed
       FROM ai_key_daily_usage_detail d
       LEFT JOIN ai_maintenance_periods p ON p.task = 'reset-daily' AND p.period = d.day
      ORDER BY d.day, d.key_id, d.model, d.client`,
  );
  return rows;
}

async function rollups(): Promise<Record<string, unknown>[]> {
  return replicas[0]!
    .db('ai_key_daily_usage')
    .orderBy(['day', 'key_id'])
    .select(
      'key_id',
      replicas[0]!.db.raw("to_char(day, 'YYYY-MM-DD') AS day"),
      'requests',
      replicas[0]!.db.raw('tokens::int AS tokens'),
      replicas[0]!.db.raw('cost::float AS cost'),
      'failures',
    );
}

describe('the daily reset', () => {
  it('rolls up the local day that just ended across a DST change, then zeroes the counters', async () => {
    const key1 = keyIds.get('key_1')!;
    await insertLogs(replicas[0]!.db, [
      { keyId: key1, at: '2026-03-28T22:30:00Z', tokens: 1 }, // 23:30 on the 28th in Berlin (CET)
      { keyId: key1, at: '2026-03-28T23:30:00Z', tokens: 10, cost: 0.25 }, // 00:30 on the 29th
      { keyId: key1, at: '2026-03-29T21:30:00Z', tokens: 100, status: 500 }, // 23:30 on the 29th (CEST)
      { keyId: key1, at: '2026-03-29T22:30:00Z', tokens: 1000 }, // 00:30 on the 30th
    ]);
    await spend(500);
    expect(await usedToday()).toEqual({ redis: 500, postgres: 500 });

    expect(await targets[0]!.resetDaily()).toEqual({ keysReset: 2, day: '2026-03-29', closed: true });
    // A UTC day would have taken 23:00-24:00 UTC of the 28th into the 28th and 22:00-24:00 UTC of
    // the 29th into the 29th: tokens 1 + 100 + 1000 or 10 + 100 + 1000, never exactly 110.
    expect(await rollups()).toEqual([
      { key_id: key1, day: '2026-03-29', requests: 2, tokens: 110, cost: 0.25, failures: 1 },
    ]);
    expect(await detail()).toEqual([
      {
        day: '2026-03-29',
        key_id: key1,
        model: 'gpt-4-turbo',
        client: '',
        requests: 2,
        tokens: 110,
        cost: 0.25,
        failures: 1,
        detailed: true,
      },
    ]);
    expect(await usedToday()).toEqual({ redis: 0, postgres: 0 });
    const periods = await replicas[0]!
      .db('ai_maintenance_periods')
      .select('task', replicas[0]!.db.raw("to_char(period, 'YYYY-MM-DD') AS period"));
    expect(periods).toEqual([{ task: 'reset-daily', period: '2026-03-29' }]);
  });

  it('changes nothing when it runs again for the same day', async () => {
    await spend(7);
    const before = { rollups: await rollups(), detail: await detail() };
    clock = new Date(AFTER_DST_DAY.getTime() + 3_600_000); // a late second run, an hour on
    expect(await targets[1]!.resetDaily()).toEqual({ keysReset: 0, day: '2026-03-29', closed: false });
    expect({ rollups: await rollups(), detail: await detail() }).toEqual(before);
    expect(await usedToday()).toEqual({ redis: 7, postgres: 7 });
  });

  it('runs once when two replicas run the next reset at the same moment', async () => {
    const key2 = keyIds.get('key_2')!;
    await insertLogs(replicas[0]!.db, [
      { keyId: key2, at: '2026-03-30T10:00:00Z', tokens: 3, cost: 0.5, model: 'gpt-4o', client: 'app-a' },
    ]);
    clock = NEXT_MIDNIGHT;
    const results = await Promise.all(targets.map((t) => t.resetDaily()));
    expect(results.map((r) => r.closed).sort()).toEqual([false, true]);
    expect(results.reduce((n, r) => n + r.keysReset, 0)).toBe(2);
    expect(await usedToday()).toEqual({ redis: 0, postgres: 0 });

    await spend(3);
    await Promise.all(targets.map((t) => t.resetDaily()));
    expect(await usedToday()).toEqual({ redis: 3, postgres: 3 });
    // The 30th's rollup, and the 30th's 00:30 call (1000 tokens) counted there, not on the 29th.
    expect((await rollups()).filter((r) => r.day === '2026-03-30')).toEqual([
      { key_id: keyIds.get('key_1'), day: '2026-03-30', requests: 1, tokens: 1000, cost: 0, failures: 0 },
      { key_id: key2, day: '2026-03-30', requests: 1, tokens: 3, cost: 0.5, failures: 0 },
    ]);
    // Split by model and application too, each combination once though both replicas ran.
    expect((await detail()).filter((r) => r.day === '2026-03-30')).toEqual([
      expect.objectContaining({
        key_id: keyIds.get('key_1'),
        model: 'gpt-4-turbo',
        client: '',
        tokens: 1000,
      }),
      expect.objectContaining({ key_id: key2, model: 'gpt-4o', client: 'app-a', tokens: 3, cost: 0.5 }),
    ]);
  });

  it("starts the budget month when it closes a month's last local day, not before", async () => {
    const accountId = (await replicas[0]!.db('ai_accounts').first<{ account_id: number }>('account_id'))!
      .account_id;
    const spent = async () => (await replicas[0]!.engine.accountCounters(accountId))?.spentUsd;
    await spend(1, 0.75);
    clock = new Date('2026-03-31T21:59:00Z'); // 23:59 on the 31st in Berlin: closes the 30th (closed)
    await targets[0]!.resetDaily();
    expect(await spent()).toBeCloseTo(0.75, 8);
    clock = new Date('2026-03-31T22:00:05Z'); // 00:00:05 on 1 April in Berlin: closes 31 March
    expect(await targets[0]!.resetDaily()).toMatchObject({ day: '2026-03-31', closed: true });
    expect(await spent()).toBe(0);
  });

  it('closes the days no reset closed (the fleet was down over their ends) with the next one', async () => {
    const key1 = keyIds.get('key_1')!;
    await insertLogs(replicas[0]!.db, [
      { keyId: key1, at: '2026-04-02T10:00:00Z', tokens: 5, model: 'gpt-4o', client: 'app-b' },
      { keyId: key1, at: '2026-04-03T10:00:00Z', tokens: 6, model: 'gpt-4o', client: 'app-b' },
    ]);
    await spend(9);
    clock = new Date('2026-04-04T22:00:05Z'); // 00:00:05 on 5 April in Berlin (CEST)
    expect(await targets[1]!.resetDaily()).toEqual({
      keysReset: 2,
      day: '2026-04-04',
      closed: true,
      missedDaysClosed: ['2026-04-01', '2026-04-02', '2026-04-03'],
    });
    expect(await usedToday()).toEqual({ redis: 0, postgres: 0 });
    expect((await rollups()).filter((r) => String(r.day) > '2026-03-31')).toEqual([
      { key_id: key1, day: '2026-04-02', requests: 1, tokens: 5, cost: 0, failures: 0 },
      { key_id: key1, day: '2026-04-03', requests: 1, tokens: 6, cost: 0, failures: 0 },
    ]);
    expect((await detail()).filter((r) => String(r.day) > '2026-03-31')).toEqual([
      expect.objectContaining({ day: '2026-04-02', client: 'app-b', tokens: 5, detailed: true }),
      expect.objectContaining({ day: '2026-04-03', client: 'app-b', tokens: 6, detailed: true }),
    ]);
    const closedDays = await replicas[0]!
      .db('ai_maintenance_periods')
      .where('period', '>', '2026-03-31')
      .orderBy('period')
      .select<{ day: string }[]>(replicas[0]!.db.raw("to_char(period, 'YYYY-MM-DD') AS day"));
    expect(closedDays.map((r) => r.day)).toEqual(['2026-04-01', '2026-04-02', '2026-04-03', '2026-04-04']);
    // The next reset finds nothing missed.
    clock = new Date('2026-04-05T22:00:05Z');
    expect(await targets[0]!.resetDaily()).toEqual({ keysReset: 2, day: '2026-04-05', closed: true });
  });
});
