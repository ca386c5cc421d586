/**
 * docker-compose.yml's aikeys services, run by their own `command` and `environment` as local
 * processes against this test's Redis and Postgres (this machine has no Docker engine): `migrate`
 * creates the database and imports the env file, `worker` serves a job, `admin` answers the health
 * API and serves the dashboard, `gateway` relays an application's /v1 request to the worker, and
 * all three stop on SIGTERM. The commands run compiled JavaScript, so
 * they run in a fresh build laid out as the image's /app with production packages only
 * (support/compiled-app.ts; one build for the file, about 6 s of CPU). What differs from compose is
 * only what isolation needs: the service URLs point at this test's Redis and database instead of
 * the `redis` and `postgres` hosts, and the prefix, queue, env file and admin port are the test's own.
 * As in compose, only `migrate` is given the env file with the keys; worker and admin get the master
 * key as AI_ENCRYPTION_KEY and the file's other settings as environment variables (env_file).
 */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createBullConnection } from '../../src/queues/connections.js';
import { createProducer, type AiJobProducer } from '../../src/queues/producer.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../src/simulator/server.js';
import { openDatabase } from '../../src/store/database.js';
import { isolate } from '../setup/isolation.js';
import { prepareCompiledApp, type CompiledApp } from './support/compiled-app.js';
import { writeTestEnvFile, type TestEnvFile } from './support/env-file.js';

interface ComposeService {
  command: string[];
  environment: Record<string, string>;
}

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), {
  merge: true,
}) as { services: Record<string, ComposeService> };

const env = isolate('e2e-compose');
let simulator: SimulatedProvider;
let envFile: TestEnvFile;
let producer: AiJobProducer | undefined;
let app: CompiledApp | undefined;
const started: ChildProcess[] = [];

beforeAll(async () => {
  app = await prepareCompiledApp();
  simulator = await startSimulatedProvider({ port: 0, latencyMs: 5, seed: 11 });
  envFile = await writeTestEnvFile([{ prefix: 'sim-ok-compose-a' }, { prefix: 'sim-ok-compose-b' }], {
    AI_PROVIDER_OPENAI_BASE_URL: simulator.openaiBaseUrl,
  });
});

afterAll(async () => {
  for (const child of started)
    if (child.exitCode === null && child.signalCode === null) killGroup(child, 'SIGKILL');
  await producer?.close();
  await simulator?.close();
  await rm(envFile.dir, { recursive: true, force: true });
  await app?.remove();
  await env.cleanup();
});

/**
 * What compose's `env_file: config/.env.settings` gives worker and admin: the env file's setting
 * lines, without KEY_N lines and without the master key (that comes by itself, see below).
 */
async function settingsOnly(): Promise<Record<string, string>> {
  const lines = (await readFile(envFile.file, 'utf8')).split('\n');
  const settings = lines
    .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line))
    .filter(
      (m): m is RegExpExecArray => m !== null && !m[1]!.startsWith('KEY_') && m[1] !== 'AI_ENCRYPTION_KEY',
    );
  return Object.fromEntries(settings.map((m) => [m[1]!, m[2]!]));
}

/**
 * The service's compose environment with this test's services in place of the compose hosts: the
 * env file (with the keys) where compose mounts it, the master key where compose interpolates it.
 */
const GATEWAY_TOKEN = randomBytes(24).toString('hex');

async function environmentOf(name: string): Promise<Record<string, string>> {
  const fromCompose = { ...compose.services[name]!.environment };
  expect(fromCompose.REDIS_URL).toBe('redis://redis:6379');
  expect(fromCompose.DATABASE_URL).toMatch(/@postgres:5432\/aikeys$/);
  const imports = fromCompose.AIKEYS_ENV_FILE !== undefined;
  if (fromCompose.AI_ENCRYPTION_KEY?.startsWith('${AI_ENCRYPTION_KEY:?'))
    fromCompose.AI_ENCRYPTION_KEY = envFile.masterKey;
  return {
    ...(imports ? {} : await settingsOnly()),
    ...fromCompose,
    ...env.env,
    ...(imports ? { AIKEYS_ENV_FILE: envFile.file } : {}),
    // Any free port: the compose services' own 3000 may be taken on this machine.
    ...(name === 'admin' || name === 'worker' || name === 'gateway' ? { PORT: '0' } : {}),
    // What the gateway's settings file gives it: its clients (it refuses to start without).
    ...(name === 'gateway' ? { AIKEYS_GATEWAY_TOKENS: `compose-app:${GATEWAY_TOKEN}` } : {}),
  };
}

interface Started {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

/** Starts the service's compose command, as the first process of a group of its own (like a container's). */
async function startService(name: string): Promise<Started> {
  const [command, ...args] = compose.services[name]!.command;
  // A developer's own AIKEYS_ENV_FILE must not hand the file to a service compose does not give it to.
  const { AIKEYS_ENV_FILE: _own, ...inherited } = process.env;
  const environment = await environmentOf(name);
  if (environment.AIKEYS_ENV_FILE === undefined) {
    // worker and admin: no env file, so no plaintext key anywhere in what they are given.
    for (const secret of envFile.secrets) expect(JSON.stringify(environment)).not.toContain(secret);
  }
  const child = spawn(command!, args, {
    cwd: app!.dir,
    env: { ...inherited, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

async function waitFor(service: Started, what: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = what.exec(service.output());
    if (match) return match;
    if (service.child.exitCode !== null) throw new Error(`exited before ${what}:\n${service.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${what} after ${timeoutMs} ms:\n${service.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("docker-compose's aikeys services, run by their own commands", () => {
  it('the compose services run from a build as local processes: import, serve a job, report health, stop on SIGTERM', async () => {
    const migrate = await startService('migrate');
    expect(await migrate.exited, migrate.output()).toBe(0);
    const db = await openDatabase(env.databaseUrl);
    try {
      expect(await db('ai_api_keys').pluck('key_name')).toEqual(['key_1', 'key_2']);
    } finally {
      await db.destroy();
    }

    const worker = await startService('worker');
    const admin = await startService('admin');
    await waitFor(worker, /"msg":"worker replica started"/);
    const [, url] = await waitFor(admin, /"url":"([^"]+)","msg":"admin server listening"/);
    // The compiled worker serves its probes (what the compose healthcheck reads) on its own port.
    const [, probes] = await waitFor(worker, /"url":"([^"]+)","msg":"probes listening/);
    const ready = await fetch(`${probes}/readyz`);
    expect(ready.status, await ready.clone().text()).toBe(200);
    expect(await (await fetch(`${probes}/metrics`)).text()).toContain('aikeys_queue_jobs{queue=');
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    producer = createProducer({
      connection: createBullConnection(env.redisUrl),
      prefix: env.prefix,
      queueName: env.queueName,
    });
    const result = await producer.run(
      { messages: [{ role: 'user', content: 'compose says hello' }], maxTokens: 16 },
      { timeoutMs: 30_000 },
    );
    expect(result.keyName).toMatch(/^key_[12]$/);
    expect(result.usage.totalTokens).toBeGreaterThan(0);

    const health = (await (await fetch(`${url}/api/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ total_keys: 2, active_keys: 2, healthy: true });
    // The page is read from files next to the compiled code: the build must have copied them.
    const dashboard = await fetch(`${url}/`);
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toMatch(/<script>[\s\S]+<\/script>/);

    // The front door, as compose runs it (no env file, bound to 0.0.0.0): an application's request
    // through /v1 is served by the worker above.
    const gateway = await startService('gateway');
    const [, port] = await waitFor(gateway, /"url":"http:\/\/[^"]*:(\d+)","msg":"front door listening/);
    const answer = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'via the front door' }],
      }),
    });
    const completion = (await answer.json()) as { choices?: { message: { content: string } }[] };
    expect(answer.status, JSON.stringify(completion)).toBe(200);
    expect(completion.choices?.[0]?.message.content).toContain('via the front door');
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    // What `docker stop` does: SIGTERM to the container's first process only.
    gateway.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    admin.child.kill('SIGTERM');
    expect(await gateway.exited, gateway.output()).toBe(0);
    expect(await worker.exited, worker.output()).toBe(0);
    expect(worker.output()).toMatch(/"msg":"shutting down: finishing in-flight jobs/);
    expect(await admin.exited, admin.output()).toBe(0);
  }, 120_000);
});
