import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { openQueueEvents } from '../../src/queues/queue-events.js';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigManager } from '../../src/config/config-manager.js';
import { silentLogger } from '../../src/core/logger.js';
import { generateMasterKey, KeyRing } from '../../src/crypto/key-ring.js';
import type { MaintenanceTarget } from '../../src/jobs/maintenance.js';
import { createBullConnection } from '../../src/queues/connections.js';
import {
  createMaintenanceQueue,
  createMaintenanceWorker,
  MAINTENANCE_SCHEDULES,
  maintenanceSchedules,
  upsertMaintenanceSchedules,
} from '../../src/queues/maintenance-schedule.js';
import { MAINTENANCE_QUEUE } from '../../src/queues/names.js';
import { keepMaintenanceSchedules } from '../../src/queues/schedule-keeper.js';
import { buildContainer } from '../../src/runtime/container.js';
import { createMaintenanceTarget, NOT_IMPORTING } from '../../src/runtime/maintenance-target.js';
import { importConfig } from '../../src/store/import-config.js';
import { findKeyByName } from '../../src/store/keys.js';
import { deleteByPrefix, isolate } from '../setup/isolation.js';

const env = isolate('maint');
afterAll(() => env.cleanup());

describe('maintenance schedules', () => {
  it('exist once per task however many replicas upsert them at once', async () => {
    const connections = [1, 2, 3].map(() => createBullConnection(env.redisUrl));
    const queues = connections.map((c) => createMaintenanceQueue(c, env.prefix));
    try {
      await Promise.all(queues.map((q) => upsertMaintenanceSchedules(q)));
      await upsertMaintenanceSchedules(queues[0]!);
      const schedulers = await queues[0]!.getJobSchedulers();
      expect(schedulers.map((s) => s.key).sort()).toEqual(MAINTENANCE_SCHEDULES.map((s) => s.task).sort());
      // One pending run per task, not one per replica.
      expect(await queues[0]!.getJobCountByTypes('delayed', 'wait')).toBe(MAINTENANCE_SCHEDULES.length);
    } finally {
      await Promise.all(queues.map((q) => q.close()));
      connections.forEach((c) => c.disconnect());
    }
  });

  it("run the reset at midnight of AI_TIMEZONE, not UTC's", async () => {
    const connection = createBullConnection(env.redisUrl);
    const queue = createMaintenanceQueue(connection, `${env.prefix}-tz`);
    try {
      const boundary = { dailyResetCron: '0 0 * * *', timeZone: 'Asia/Kolkata' }; // UTC+05:30, no DST
      await upsertMaintenanceSchedules(queue, maintenanceSchedules(boundary));
      const reset = await queue.getJobScheduler('reset-daily');
      expect(reset).toMatchObject({ pattern: '0 0 * * *', tz: 'Asia/Kolkata' });
      // Local midnight in Kolkata is 18:30 UTC.
      const next = new Date(Number(reset?.next));
      expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([18, 30]);
      expect(await queue.getJobScheduler('prune-logs')).toMatchObject({ tz: 'Asia/Kolkata' });
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  it('runs each task once on the target, whichever replica picks it up', async () => {
    const calls: string[] = [];
    const target: MaintenanceTarget = {
      resetDaily: async () => (calls.push('reset-daily'), { keysReset: 2 }),
      unblockExpired: async () => (calls.push('unblock-expired'), { unblocked: 0 }),
      reimportConfig: async () => (
        calls.push('import-config'),
        { changed: false, summary: 'config unchanged' }
      ),
      pruneLogs: async () => (calls.push('prune-logs'), { deleted: 0 }),
    };
    const connection = createBullConnection(env.redisUrl);
    const prefix = `${env.prefix}-run`;
    const workers = [1, 2].map(() =>
      createMaintenanceWorker({ connection, prefix, target, logger: silentLogger }),
    );
    const queue = new Queue(MAINTENANCE_QUEUE, { connection, prefix });
    const reader = await openQueueEvents(connection, MAINTENANCE_QUEUE, prefix);
    try {
      const job = await queue.add('reset-daily', {});
      expect(await job.waitUntilFinished(reader.events, 10_000)).toEqual({ keysReset: 2 });
      expect(calls).toEqual(['reset-daily']);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await reader.close();
      await queue.close();
      connection.disconnect();
    }
  });
});

describe('maintenance schedules after Redis lost its data', () => {
  it('are registered again by the keeper, once, leaving schedules that survived where they were', async () => {
    const connection = createBullConnection(env.redisUrl);
    const prefix = `${env.prefix}-keeper`;
    const queues = [1, 2].map(() => createMaintenanceQueue(connection, prefix));
    const keepers = queues.map((q) =>
      keepMaintenanceSchedules(q, { logger: silentLogger, intervalMs: 3_600_000 }),
    );
    try {
      await upsertMaintenanceSchedules(queues[0]!);
      expect(await keepers[0]!.check()).toEqual([]);
      const before = await queues[0]!.getJobScheduler('reset-daily');

      // What FLUSHALL does to this deployment: every key under its prefix is gone.
      await deleteByPrefix(env.redisUrl, prefix);
      expect(await queues[0]!.getJobSchedulers()).toEqual([]);

      const restored = await Promise.all(keepers.map((k) => k.check()));
      expect(restored.flat().sort()).toEqual(
        expect.arrayContaining(MAINTENANCE_SCHEDULES.map((s) => s.task).sort()),
      );
      const schedulers = await queues[0]!.getJobSchedulers();
      expect(schedulers.map((s) => s.key).sort()).toEqual(MAINTENANCE_SCHEDULES.map((s) => s.task).sort());
      // One pending run per task, though both replicas restored them.
      expect(await queues[0]!.getJobCountByTypes('delayed', 'wait')).toBe(MAINTENANCE_SCHEDULES.length);
      expect((await queues[0]!.getJobScheduler('reset-daily'))?.next).toBe(before?.next);

      // Present schedules are left alone: a later check registers nothing.
      expect(await keepers[1]!.check()).toEqual([]);
    } finally {
      keepers.forEach((k) => k.stop());
      await Promise.all(queues.map((q) => q.close()));
      connection.disconnect();
    }
  });
});

describe('maintenance target', () => {
  it('re-imports the env file only when it changed, and the new key can be leased at once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'aikeys-maint-'));
    const file = path.join(dir, '.env.local');
    writeFileSync(
      file,
      `AI_ENCRYPTION_KEY=${generateMasterKey().reveal()}\nKEY_1=sk-first-${randomBytes(6).toString('hex')}\n`,
    );
    const manager = new ConfigManager({ file, env: env.env });
    const container = await buildContainer(manager.config, silentLogger);
    try {
      const ring = KeyRing.fromSecrets(manager.config.system.encryptionKey);
      await importConfig(container.db, manager.readForImport(), { ring });
      await container.pool.hydrate();
      const target = createMaintenanceTarget({
        db: container.db,
        pool: container.pool,
        importableConfig: () => manager.readForImport(),
        system: manager.config.system,
        logger: silentLogger,
      });
      expect(await target.reimportConfig()).toEqual({ changed: false, summary: 'config unchanged' });

      appendFileSync(file, `KEY_2=sk-second-${randomBytes(6).toString('hex')}\n`);
      expect(await target.reimportConfig()).toMatchObject({
        changed: true,
        summary: expect.stringContaining('added 1'),
      });
      // key_2 joined as the fallback account: it serves once key_1 is ruled out.
      const first = await container.pool.lease({ provider: 'openai', estimatedTokens: 1 });
      expect(first.ok && first.key.keyName).toBe('key_1');
      const second = await container.pool.lease({
        provider: 'openai',
        estimatedTokens: 1,
        excludeKeyIds: [first.ok ? first.key.keyId : -1],
      });
      expect(second.ok && second.key.keyName).toBe('key_2');

      // A replica without the env file's secrets leaves the import to the process that has them.
      appendFileSync(file, `KEY_3=sk-third-${randomBytes(6).toString('hex')}\n`);
      const notImporting = createMaintenanceTarget({
        db: container.db,
        pool: container.pool,
        importableConfig: undefined,
        system: manager.config.system,
        logger: silentLogger,
      });
      expect(await notImporting.reimportConfig()).toEqual({ changed: false, summary: NOT_IMPORTING });
      expect(await findKeyByName(container.db, 'key_3')).toBeUndefined();
    } finally {
      await container.close();
    }
  });
});
