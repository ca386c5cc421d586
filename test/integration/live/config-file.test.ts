/**
 * Live configuration from the env file, on a running system with real Redis, Postgres and BullMQ:
 * replica A holds the file (as `npm start` does: ConfigManager, watcher, re-import), replica B has
 * no file (settings from its environment, as a compose worker). What it proves:
 * - a broken line keeps the pool serving; /api/health `config.last_error` names file and line; fixing
 *   the line clears it;
 * - a reloadable setting changed in the file changes behaviour on replica B; a non-reloadable one
 *   shows in restart_needed;
 * - a key appended to the file serves a job within 5 seconds.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DelayedError } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigManager } from '../../../src/config/config-manager.js';
import { loadRuntimeConfig } from '../../../src/config/runtime-config.js';
import { silentLogger } from '../../../src/core/logger.js';
import { generateMasterKey, KeyRing } from '../../../src/crypto/key-ring.js';
import { callProvider, type AiJobHandle } from '../../../src/jobs/call-provider.js';
import type { AiJobResult, AiJobData } from '../../../src/jobs/job-schema.js';
import { startAdminServer, type RunningAdminServer } from '../../../src/runtime/admin-server.js';
import { buildContainer, type Container } from '../../../src/runtime/container.js';
import { closeInOrder, type CloseStep } from '../../../src/runtime/shutdown.js';
import { startWorkerReplica, type WorkerReplica } from '../../../src/runtime/worker-replica.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../../src/simulator/server.js';
import type { ConfigStatus } from '../../../src/store/config-status.js';
import { importConfig } from '../../../src/store/import-config.js';
import { isolate } from '../../setup/isolation.js';
import { pollUntil } from '../../setup/poll.js';

const env = isolate('live-config');
const masterKey = generateMasterKey().reveal();
const dir = mkdtempSync(path.join(tmpdir(), 'aikeys-live-'));
const file = path.join(dir, '.env.local');
const secret = (kind: string) => `${kind}-${randomBytes(8).toString('hex')}`;
let sim: SimulatedProvider;
let b: { container: Container; replica: WorkerReplica };
let admin: RunningAdminServer;
const steps: CloseStep[] = [];

async function configStatus(): Promise<ConfigStatus | null> {
  const res = await fetch(`${admin.url}/api/health`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { config: ConfigStatus | null }).config;
}

/** One run of a job through a replica's processor; DelayedError (no key yet) is returned as null. */
async function runOnce(c: Container, data: AiJobData): Promise<AiJobResult | null> {
  const job: AiJobHandle = {
    id: randomBytes(4).toString('hex'),
    data,
    attemptsStarted: 1,
    moveToDelayed: () => Promise.resolve(),
  };
  try {
    return await callProvider(job, undefined, c.jobDeps);
  } catch (error) {
    if (error instanceof DelayedError) return null;
    throw error;
  }
}

beforeAll(async () => {
  sim = await startSimulatedProvider({ port: 0 });
  const base = {
    ...env.env,
    AI_ENCRYPTION_KEY: masterKey,
    AI_PROVIDER_OPENAI_BASE_URL: sim.openaiBaseUrl,
    AI_PROVIDER_FRESH_BASE_URL: sim.openaiBaseUrl,
  };
  writeFileSync(
    file,
    [
      'AI_DEFAULT_MODEL=gpt-4o-mini',
      'AI_RETRY_DELAY_MS=1',
      'AI_MAX_RETRIES=3',
      // key_1 (primary) answers 500, key_2 (fallback) OK: a job succeeds only by retrying.
      `KEY_1=${secret('sim-500')}`,
      `KEY_2=${secret('sim-ok')}`,
      '',
    ].join('\n'),
  );
  // Replica A: the file, as `npm start` holds it (settings from the environment are the services only).
  const manager = new ConfigManager({ file, env: base });
  const config = manager.config;
  const ca = await buildContainer(config, silentLogger);
  await importConfig(ca.db, manager.readForImport(), {
    ring: KeyRing.fromSecrets(config.system.encryptionKey),
    running: config,
  });
  const ra = await startWorkerReplica(ca, { configManager: manager, concurrency: 2, watchPollMs: 500 });
  expect(ra.watcher).toBeDefined(); // the replica holding the file watches it
  // Replica B: no file; the master key and services from its environment.
  const cb = await buildContainer(
    loadRuntimeConfig({ file: path.join(dir, 'absent.env'), env: base }),
    silentLogger,
  );
  const rb = await startWorkerReplica(cb, { concurrency: 2 });
  b = { container: cb, replica: rb };
  admin = await startAdminServer(ca, [], { port: 0 });
  steps.push(admin.closeStep, ...rb.workerSteps, rb.containerStep, ...ra.workerSteps, ra.containerStep);
}, 60_000);

afterAll(async () => {
  await closeInOrder(steps, silentLogger);
  await sim?.close();
  await env.cleanup();
});

describe('live configuration from the env file', () => {
  it('health shows the first import', async () => {
    const status = await configStatus();
    expect(status).toMatchObject({ file, last_error: null, restart_needed: [] });
    // The start's import added both keys; the import-config task may have run again since (unchanged).
    const last = status!.last_import!;
    expect([last.added + last.unchanged, last.changed, last.disabled]).toEqual([2, 0, 0]);
    expect(Date.parse(status!.last_import_at!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('a broken line keeps the pool serving and is named in last_error; fixing it clears it', async () => {
    const good = readFileSync(file, 'utf8');
    const line = good.split('\n').length; // the line after the last newline
    appendFileSync(file, 'KEY_2_COLOUR=blue\n');
    const status = await pollUntil('last_error', configStatus, (s) => s?.last_error !== null);
    expect(status!.last_error).toMatchObject({ file, line });
    expect(status!.last_error!.message).toContain('KEY_2_COLOUR');
    expect(JSON.stringify(status)).not.toContain(readFileSync(file, 'utf8').match(/KEY_2=(.*)/)![1]!);
    const served = await runOnce(b.container, {
      messages: [{ role: 'user', content: 'still' }],
      maxTokens: 8,
    });
    expect(served?.keyName).toBe('key_2');
    // Fixed the way editors save: a new file renamed over the old one (a new inode).
    writeFileSync(`${file}.tmp`, good);
    renameSync(`${file}.tmp`, file);
    await pollUntil('last_error cleared', configStatus, (s) => s?.last_error === null);
  });

  it('a reloadable setting changes behaviour on the replica without the file; a fixed one needs a restart', async () => {
    const job = { messages: [{ role: 'user' as const, content: 'retry me' }], maxTokens: 8 };
    // AI_MAX_RETRIES=3: key_1's 500 is retried on key_2.
    expect((await runOnce(b.container, job))?.attempts.map((x) => x.keyName)).toEqual(['key_1', 'key_2']);
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('AI_MAX_RETRIES=3', 'AI_MAX_RETRIES=0') +
        'AI_LEASE_TTL_MS=90000\nAI_CIRCUIT_BREAKER_THRESHOLD=5\n',
    );
    await pollUntil(
      'replica B took AI_MAX_RETRIES',
      () => b.container.live.current.maxRetries,
      (v) => v === 0,
    );
    expect(b.container.jobDeps.settings.maxRetries).toBe(0);
    // The lease engine's settings too (the breaker threshold goes to every release script call).
    expect(b.container.engine.settings.circuitBreakerThreshold).toBe(5);
    // No retry now: the job fails on key_1's 500.
    await expect(runOnce(b.container, job)).rejects.toThrow();
    const status = await configStatus();
    expect(status!.restart_needed).toEqual(['AI_LEASE_TTL_MS']);
    expect(b.container.engine.settings.leaseTtlMs).toBe(120_000);
  });

  it('a key appended to the file serves a job within 5 seconds', async () => {
    const appendedAt = Date.now();
    appendFileSync(file, `KEY_3=${secret('sim-ok')}\nKEY_3_PROVIDER=fresh\n`);
    const result = await pollUntil(
      'a job on the new key',
      () =>
        runOnce(b.container, {
          provider: 'fresh',
          messages: [{ role: 'user', content: 'new' }],
          maxTokens: 8,
        }),
      (r) => r !== null,
    );
    expect(result!.keyName).toBe('key_3');
    expect(Date.now() - appendedAt).toBeLessThan(5000);
    expect((await configStatus())!.last_import).toMatchObject({ added: 1 });
  });
});
