/**
 * A block whose time has passed has ended for every reader of Postgres, as it has for the lease
 * engine, before the unblock task rewrites the row: listings, filters, health, account counts,
 * metrics and the demo's table agree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { generateMasterKey } from '../../src/crypto/key-ring.js';
import { renderKeySummary, keySummary } from '../../src/demo/summary.js';
import { createMetricsRegistry, METRIC_NAMES } from '../../src/http/metrics.js';
import { listAccounts } from '../../src/store/accounts.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { getSystemHealth } from '../../src/store/health.js';
import { listKeys } from '../../src/store/keys.js';
import { makeConfig } from './http/fixtures.js';
import { seedKeys, type Seeded } from './lease/fixtures.js';
import { isolate } from '../setup/isolation.js';

const env = isolate('key-status-view');
let db: Db;
let seeded: Seeded;
const ended = new Date(Date.now() - 60_000);
const running = new Date(Date.now() + 3_600_000);

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  seeded = await seedKeys(db, [
    { status: 'temporarily_blocked', blockUntil: ended },
    { status: 'temporarily_blocked', blockUntil: running },
    {},
  ]);
});

afterAll(async () => {
  await db.destroy();
  await env.cleanup();
});

describe('key status read from Postgres', () => {
  it('lists a key whose block has ended as active, without the past block time', async () => {
    const [endedKey, blockedKey, activeKey] = seeded.keyIds;
    const keys = await listKeys(db);
    expect(keys.map((k) => [k.keyId, k.status, k.temporaryBlockUntil])).toEqual([
      [endedKey, 'active', null],
      [blockedKey, 'temporarily_blocked', running],
      [activeKey, 'active', null],
    ]);
    expect((await listKeys(db, { status: 'active' })).map((k) => k.keyId)).toEqual([endedKey, activeKey]);
    expect((await listKeys(db, { status: 'temporarily_blocked' })).map((k) => k.keyId)).toEqual([blockedKey]);
  });

  it('counts it as active in health, account stats and metrics', async () => {
    expect(await getSystemHealth(db)).toMatchObject({ totalKeys: 3, activeKeys: 2, blockedKeys: 1 });
    expect((await listAccounts(db)).map((a) => a.activeKeys)).toEqual([2]);

    const registry = createMetricsRegistry({
      db,
      config: makeConfig(env, generateMasterKey()),
      queues: [],
      logger: silentLogger,
    });
    const metric = await registry.getSingleMetric(METRIC_NAMES.keysByStatus)!.get();
    const byStatus = Object.fromEntries(metric.values.map((v) => [v.labels.status, v.value]));
    expect(byStatus).toMatchObject({ active: 2, temporarily_blocked: 1 });
  });

  it("shows it active in the demo's table, with the block that ended as its story", async () => {
    const rows = await keySummary(db);
    expect(rows.map((r) => r.status)).toEqual(['active', 'temporarily_blocked', 'active']);
    const table = renderKeySummary(rows);
    expect(table).toContain(`rate limited; block ended ${ended.toISOString()}`);
    expect(table).toContain(`rate limited; blocked until ${running.toISOString()}`);
  });
});
