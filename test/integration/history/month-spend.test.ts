/**
 * What the lease state is built from, in AI_TIMEZONE: a key's spend today starts at local midnight,
 * and an account's spend this month is the rollups of the days the reset closed (their log rows may
 * be pruned) plus the logs of the days it did not close (today, and days whose reset did not run).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { closeDayInDb } from '../../../src/store/daily-history.js';
import { loadKeyStateSnapshot } from '../../../src/store/lease-snapshot.js';
import { isolate } from '../../setup/isolation.js';
import { seedKeys, type Seeded } from '../lease/fixtures.js';
import { insertLogs } from './log-rows.js';

const env = isolate('month-spend');
const TZ = 'Europe/Berlin';
/** 13:00 on 2026-03-15 in Berlin (CET, UTC+1). */
const NOW = new Date('2026-03-15T12:00:00Z');
let db: Db;
let seeded: Seeded;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  seeded = await seedKeys(db, [{}, {}]);
});

afterAll(async () => {
  await db.destroy();
  await env.cleanup();
});

describe('spend in AI_TIMEZONE', () => {
  it("counts a month from closed days' rollups, even pruned, plus the logs of days not closed", async () => {
    const [a, b] = seeded.keyIds as [number, number];
    await insertLogs(db, [
      { keyId: a, at: '2026-03-10T09:00:00Z', cost: 2 },
      { keyId: b, at: '2026-03-10T10:00:00Z', cost: 0.5 },
    ]);
    // The 10th was closed by its reset, and its log rows pruned since: only the rollup is left.
    expect(await closeDayInDb(db, '2026-03-10', TZ)).toEqual({
      closed: true,
      keysRolledUp: 2,
      missedDaysClosed: [],
    });
    await db('ai_request_logs').del();
    await insertLogs(db, [
      { keyId: a, at: '2026-03-12T09:00:00Z', cost: 1 }, // the 12th: its reset never ran
      { keyId: a, at: '2026-03-15T08:00:00Z', cost: 0.25 }, // today
      { keyId: b, at: '2026-02-28T23:30:00Z', cost: 0.125 }, // 00:30 on 1 March in Berlin
      { keyId: b, at: '2026-02-28T22:30:00Z', cost: 100 }, // 23:30 on 28 February in Berlin
    ]);
    const snapshot = await loadKeyStateSnapshot(db, { timeZone: TZ, now: NOW });
    expect(snapshot.accounts).toHaveLength(1);
    expect(snapshot.accounts[0]!.spentMonthUsd).toBeCloseTo(2 + 0.5 + 1 + 0.25 + 0.125, 8);
  });

  it("counts a key's tokens since local midnight as today's", async () => {
    const [, b] = seeded.keyIds as [number, number];
    await insertLogs(db, [
      { keyId: b, at: '2026-03-14T22:30:00Z', tokens: 999 }, // 23:30 on the 14th in Berlin
      { keyId: b, at: '2026-03-14T23:30:00Z', tokens: 40 }, // 00:30 on the 15th in Berlin
      { keyId: b, at: '2026-03-15T11:00:00Z', tokens: 2 },
    ]);
    const snapshot = await loadKeyStateSnapshot(db, { timeZone: TZ, now: NOW });
    expect(snapshot.keys.find((k) => k.keyId === b)?.usedToday).toBe(42);
  });
});
