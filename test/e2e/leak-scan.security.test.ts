/**
 * The leak scan, on a demo-like run: a worker process and the admin server at LOG_LEVEL=debug,
 * the simulated provider, keys that work, an invalid one (401) and a failing one (500), a few dozen
 * jobs and one invalid job. Afterwards every log line, every Redis key and value under the
 * prefix, every job's data / return value / failure reason, the answers of /api/* and /metrics, and
 * every plain column of every Postgres table are searched for each configured secret (the API keys
 * and the master key) whole and in 8-character pieces: zero hits. The second test plants a piece
 * in each kind of place and shows the same scan finds it, so the first cannot pass by looking
 * nowhere.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedProvider, type SimulatedProvider } from '../../src/simulator/server.js';
import type { Db } from '../../src/store/database.js';
import { isolate } from '../setup/isolation.js';
import { importTestKeys, type TestEnvFile } from './support/env-file.js';
import { dumpHttp, gatherPlaces, needlesOf, scan, type Needle } from './support/leak-scan.js';
import { jobsFor, openTestQueue, uniquePrompts, type AiQueue } from './support/pipeline.js';
import { killAll, spawnWorker, stopWorker, type WorkerProcess } from './support/worker-process.js';

const JOBS = 40;
const HTTP_PATHS = ['/api/health', '/api/accounts', '/api/keys', '/api/settings', '/api/usage', '/metrics'];

const env = isolate('e2e-leak-scan');
const token = randomBytes(24).toString('base64url');
let simulator: SimulatedProvider;
let envFile: TestEnvFile;
let db: Db;
let redis: Redis;
let queue: AiQueue;
let adminUrl: string;
let needles: Needle[];
const processes: WorkerProcess[] = [];

/** Letters and digits only: no piece of a secret is made of hex, so a hash or a UUID cannot match it by chance. */
function tail(): string {
  return randomBytes(24)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 24);
}

async function writeEnvFile(): Promise<TestEnvFile> {
  const dir = await mkdtemp(path.join(tmpdir(), 'aikeys-leak-'));
  const file = path.join(dir, '.env');
  const masterKey = randomBytes(32).toString('base64');
  // The failing keys form the primary account, so every run calls them before the working ones.
  const secrets = ['sim-401-', 'sim-500-', 'sim-ok-', 'sim-ok-'].map((prefix) => `${prefix}${tail()}`);
  const lines = [
    `AI_ENCRYPTION_KEY=${masterKey}`,
    'AI_DEFAULT_MODEL=gpt-4o-mini',
    'AI_FALLBACK_MODEL=gpt-4o-mini',
    `AI_PROVIDER_OPENAI_BASE_URL=${simulator.openaiBaseUrl}`,
    'AI_MAX_RETRIES=3',
    'AI_RETRY_DELAY_MS=5',
    'AI_CIRCUIT_BREAKER_THRESHOLD=2',
    'AI_NO_KEY_WAIT_MS=30000',
    `AIKEYS_ADMIN_TOKEN=${token}`,
    ...secrets.map((secret, i) => `KEY_${i + 1}=${secret}`),
  ];
  await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return { dir, file, secrets, masterKey };
}

async function waitForSettled(total: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await queue.getJobCounts('completed', 'failed');
    if ((counts.completed ?? 0) + (counts.failed ?? 0) >= total) return;
    const dead = processes.find((p) => p.hasExited());
    if (dead) throw new Error(`process ${dead.pid} exited:\n${dead.output().slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`jobs did not settle: ${JSON.stringify(counts)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function places(): Promise<Map<string, string>> {
  const [worker, admin] = processes as [WorkerProcess, WorkerProcess];
  return gatherPlaces({
    logs: new Map([
      ['worker log', worker.output()],
      ['admin log', admin.output()],
    ]),
    redis,
    prefix: env.prefix,
    queue,
    db,
    http: () => dumpHttp(adminUrl, token, HTTP_PATHS),
  });
}

beforeAll(async () => {
  simulator = await startSimulatedProvider({ port: 0, latencyMs: 5, jitterMs: 5, seed: 5 });
  envFile = await writeEnvFile();
  ({ db } = await importTestKeys(env, envFile));
  ({ redis, queue } = openTestQueue(env.redisUrl, env.queueName, env.prefix));
  needles = needlesOf(
    new Map([
      ...envFile.secrets.map((secret, i): [string, string] => [`KEY_${i + 1}`, secret]),
      ['AI_ENCRYPTION_KEY', envFile.masterKey],
    ]),
  );
  const debug = { LOG_LEVEL: 'debug' };
  processes.push(spawnWorker({ isolated: env, envFile: envFile.file, env: debug }));
  processes.push(
    spawnWorker({
      isolated: env,
      envFile: envFile.file,
      entry: path.join(path.dirname(path.dirname(import.meta.dirname)), 'workers/admin.ts'),
      env: { ...debug, PORT: '0' },
      readyMessage: 'admin server listening',
    }),
  );
  await Promise.all(processes.map((p) => p.ready));
  adminUrl = /"url":"([^"]+)","msg":"admin server listening"/.exec(processes[1]!.output())![1]!;
}, 60_000);

afterAll(async () => {
  await killAll(processes);
  await queue?.close();
  redis?.disconnect();
  await db?.destroy();
  await simulator?.close();
  if (envFile) await rm(envFile.dir, { recursive: true, force: true });
  await env.cleanup();
});

describe('leak scan', () => {
  it('no configured secret, whole or in 8-character pieces, anywhere the run left data', async () => {
    await queue.addBulk(jobsFor(uniquePrompts(JOBS)).map((data) => ({ name: 'ai', data })));
    // Invalid data: fails at once, so a failure reason is scanned too.
    await queue.add('ai', { messages: [] } as never);
    await waitForSettled(JOBS + 1, 90_000);
    expect(await queue.getCompletedCount()).toBe(JOBS);
    expect(await queue.getFailedCount()).toBe(1);
    // The invalid and the failing key were really called and failed, so their handling is covered
    // (usage rows arrive through the usage stream, a moment after the jobs).
    const failedCalls = async () =>
      db('ai_request_logs as l')
        .join('ai_api_keys as k', 'k.key_id', 'l.key_id')
        .distinct('k.key_name', 'l.response_status')
        .whereIn('k.key_name', ['key_1', 'key_2']);
    for (let i = 0; i < 100 && (await failedCalls()).length < 2; i++)
      await new Promise((r) => setTimeout(r, 200));
    expect(await failedCalls()).toEqual(
      expect.arrayContaining([
        { key_name: 'key_1', response_status: 401 },
        { key_name: 'key_2', response_status: 500 },
      ]),
    );
    expect(await db('ai_api_keys').where('key_name', 'key_1').first()).toMatchObject({ status: 'disabled' });
    await stopWorker(processes[0]!);

    const found = await places();
    // The scan looked where it says: debug logs, Redis, every job, each route, every table.
    // (Few lines log at debug; the failed calls, where a provider may echo a key, do log.)
    expect(processes[0]!.output()).toMatch(/"keyName":"key_1","status":401/);
    expect(processes[0]!.output()).toMatch(/"keyName":"key_2","status":500/);
    expect([...found.keys()].filter((p) => p.startsWith('job ')).length).toBe(JOBS + 1);
    expect([...found.keys()].some((p) => p.startsWith('redis '))).toBe(true);
    for (const route of HTTP_PATHS) expect(found.has(`http ${route}`)).toBe(true);
    for (const table of ['ai_accounts', 'ai_api_keys', 'ai_request_logs'])
      expect(found.has(`postgres ${table}`)).toBe(true);
    expect(scan(found, needles)).toEqual([]);
  }, 150_000);

  it('finds a planted piece of a secret in each kind of place (the scan can fail)', async () => {
    const piece = envFile.secrets[0]!.slice(5, 13);
    await redis.set(`${env.prefix}:planted`, `x${piece}x`);
    await queue.add('ai', { messages: [{ role: 'user', content: `planted ${piece}` }] });
    await db('ai_api_keys')
      .where('key_name', 'key_1')
      .update({ disabled_reason: `planted ${piece}` });
    const found = await places();
    found.set('worker log', `${found.get('worker log')}\n{"msg":"planted ${piece}"}`);
    const hits = scan(found, needles);
    for (const place of ['redis ', 'job ', 'http /api/keys', 'postgres ai_api_keys', 'worker log'])
      expect(
        hits.some((h) => h.startsWith(place)),
        `${place} in ${hits.join(', ')}`,
      ).toBe(true);
    // The report names the secret and the piece's position, never the secret.
    for (const hit of hits) expect(hit).not.toContain(piece);
  }, 60_000);
});
