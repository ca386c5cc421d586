/**
 * `aikeys enqueue` in-process against this file's own Redis prefix and queue: the job it adds is the
 * contract's job data, bad input never reaches the queue, and with --wait a real worker replica
 * (in-process, calling the simulated provider) answers it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { silentLogger } from '../../src/core/logger.js';
import { generateMasterKey } from '../../src/crypto/key-ring.js';
import { createBullConnection } from '../../src/queues/connections.js';
import type { AiJobResult } from '../../src/jobs/job-schema.js';
import { buildContainer } from '../../src/runtime/container.js';
import { closeInOrder, type CloseStep } from '../../src/runtime/shutdown.js';
import { startWorkerReplica } from '../../src/runtime/worker-replica.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../src/simulator/server.js';
import { runCliCaptured, type CliRun } from '../setup/cli-run.js';
import { isolate } from '../setup/isolation.js';

const SECRETS = ['sim-ok-enqueue-first-0123456789', 'sim-ok-enqueue-second-0123456789'];

const env = isolate('clienqueue');
let dir: string;
let envFile: string;
let masterKey: string;
let simulator: SimulatedProvider;
let connection: Redis;
let queue: Queue;
const closers: CloseStep[] = [];

type Run = CliRun;

function aikeys(...args: string[]): Promise<Run> {
  return runCliCaptured(args, { env: { ...env.env, AIKEYS_ENV_FILE: envFile }, cwd: dir });
}

function expectNoSecret(run: Run): void {
  for (const text of [run.stdout, run.stderr]) {
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).not.toContain(masterKey);
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'aikeys-cli-enqueue-'));
  envFile = path.join(dir, '.env.local');
  masterKey = generateMasterKey().reveal();
  simulator = await startSimulatedProvider();
  await writeFile(
    envFile,
    [
      `AI_ENCRYPTION_KEY=${masterKey}`,
      `AI_PROVIDER_OPENAI_BASE_URL=${simulator.openaiBaseUrl}`,
      ...SECRETS.map((secret, i) => `KEY_${i + 1}=${secret}`),
      '',
    ].join('\n'),
  );
  connection = createBullConnection(env.redisUrl);
  queue = new Queue(env.queueName, { connection, prefix: env.prefix });
});

afterAll(async () => {
  await closeInOrder(closers, silentLogger);
  await queue?.close();
  connection?.disconnect();
  await simulator?.close();
  await rm(dir, { recursive: true, force: true });
  await env.cleanup();
});

describe('aikeys enqueue (no worker)', () => {
  it('adds one job with the contract data and prints its id', async () => {
    const run = await aikeys(
      'enqueue',
      '--prompt',
      'What is a lease?',
      '--system',
      'Answer briefly.',
      '--model',
      'gpt-4o-mini',
      '--provider',
      'openai',
      '--max-tokens',
      '64',
    );
    expect(run.code, run.stderr).toBe(0);
    const jobId = run.stdout.trim();
    expect(run.stdout).toBe(`${jobId}\n`);
    const job = await queue.getJob(jobId);
    expect(job?.data).toEqual({
      provider: 'openai',
      model: 'gpt-4o-mini',
      maxTokens: 64,
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'What is a lease?' },
      ],
    });
  });

  it('with --json prints the id and the queue', async () => {
    const run = await aikeys('enqueue', '--prompt', 'hello', '--json');
    expect(run.code, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout) as { jobId: string; queue: string };
    expect(printed.queue).toBe(env.queueName);
    expect((await queue.getJob(printed.jobId))?.data).toEqual({
      messages: [{ role: 'user', content: 'hello' }],
    });
  });

  it('rejects invalid input naming the field, and queues nothing', async () => {
    const before = await queue.count();
    for (const [flag, value, field] of [
      ['--max-tokens', '-5', 'maxTokens'],
      ['--max-tokens', 'many', 'maxTokens'],
      ['--temperature', '7', 'temperature'],
      ['--provider', 'not a provider!', 'provider'],
      ['--max-tokens', '1000001', 'maxTokens: must be at most 1000000'],
      ['--model', 'm'.repeat(201), 'model: must be at most 200 characters'],
    ] as const) {
      const run = await aikeys('enqueue', '--prompt', 'hi', flag, value);
      expect(run.code, `${flag} ${value}`).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(new RegExp(`^aikeys: Invalid job data: ${field}.*\\n$`));
    }
    expect(await queue.count()).toBe(before);
  });

  it('needs --prompt', async () => {
    const run = await aikeys('enqueue');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--prompt');
  });

  it('--wait with no worker gives up after --timeout-ms and says why', async () => {
    const run = await aikeys('enqueue', '--prompt', 'anyone there?', '--wait', '--timeout-ms', '300');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^aikeys: no result within 300 ms: is a worker running\? \(npm run worker\); job \S+ stays queued\n$/,
    );
  });
});

describe('aikeys enqueue --wait (worker running)', () => {
  beforeAll(async () => {
    const imported = await aikeys('import');
    expect(imported.code, imported.stderr).toBe(0);
    const config = loadConfig({ file: envFile, env: env.env, cwd: dir });
    const container = await buildContainer(config, silentLogger);
    const replica = await startWorkerReplica(container, { concurrency: 2 });
    closers.push(...replica.workerSteps, replica.containerStep);
  });

  it('prints the answer with key, model, usage, cost and attempts as JSON', async () => {
    const run = await aikeys(
      'enqueue',
      '--prompt',
      'ping from the CLI',
      '--wait',
      '--json',
      '--timeout-ms',
      '60000',
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as AiJobResult & { jobId: string };
    expect(result.content).toBe('echo: ping from the CLI');
    expect(result.keyName).toMatch(/^key_[12]$/);
    expect(result.provider).toBe('openai');
    expect(result.usage.totalTokens).toBeGreaterThan(0);
    expect(result.usage.totalTokens).toBe(result.usage.promptTokens + result.usage.completionTokens);
    expect(result.attempts).toEqual([{ keyName: result.keyName, status: 200, error: null }]);
    expect(typeof result.estimatedCost).toBe('number');
    expect((await queue.getJob(result.jobId))?.returnvalue).toMatchObject({
      content: 'echo: ping from the CLI',
    });
    expectNoSecret(run);
  });

  it('prints the answer first, then the details, as text', async () => {
    const run = await aikeys('enqueue', '--prompt', 'second ping', '--wait', '--timeout-ms', '60000');
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('echo: second ping');
    expect(run.stdout).toMatch(/\nkey: +key_[12] \(openai\)\n/);
    expect(run.stdout).toMatch(/\nusage: +\d+ prompt \+ \d+ completion = \d+ tokens\n/);
    expect(run.stdout).toMatch(/\nattempts: key_[12] 200\n/);
    expectNoSecret(run);
  });

  it('as a real process, exits by itself once the answer is printed (no connection left open)', async () => {
    const { execFile } = await import('node:child_process');
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'enqueue', '--prompt', 'from a process', '--wait'],
        { env: { ...process.env, ...env.env, AIKEYS_ENV_FILE: envFile }, timeout: 45_000 },
        (_error, stdout) => resolve({ code: child.exitCode, stdout }),
      );
    });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('echo: from a process');
  });

  it('a job that fails exits 1 with its failure reason on one line', async () => {
    const run = await aikeys(
      'enqueue',
      '--prompt',
      'hi',
      '--provider',
      'nosuch',
      '--wait',
      '--timeout-ms',
      '60000',
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^aikeys: job \S+ failed: .*nosuch.*\n$/);
    expectNoSecret(run);
  });
});
