/**
 * `aikeys usage` and `aikeys accounts` in-process against this file's own Postgres: the tables a
 * person reads, and --json answers equal to the admin API's for the same question.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { silentLogger } from '../../src/core/logger.js';
import { localDate } from '../../src/core/time-zone.js';
import { generateMasterKey, KeyRing } from '../../src/crypto/key-ring.js';
import { buildAdminApp } from '../../src/http/app.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { importConfig } from '../../src/store/import-config.js';
import { runCliCaptured, type CliRun } from '../setup/cli-run.js';
import { isolate } from '../setup/isolation.js';

const env = isolate('cliusage');
const SECRETS = ['sk-usage-cli-one-0123456789abcdef', 'sk-usage-cli-two-0123456789abcdef'];
let dir: string;
let envFile: string;
let db: Db;

function aikeys(...args: string[]): Promise<CliRun> {
  return runCliCaptured(args, { env: { ...env.env, AIKEYS_ENV_FILE: envFile }, cwd: dir });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'aikeys-cli-usage-'));
  envFile = path.join(dir, '.env.local');
  await writeFile(
    envFile,
    [
      `AI_ENCRYPTION_KEY=${generateMasterKey().reveal()}`,
      `KEY_1=${SECRETS[0]}`,
      `KEY_2=${SECRETS[1]}`,
      '',
    ].join('\n'),
  );
  const config = loadConfig({ file: envFile, env: env.env, cwd: dir });
  db = await openDatabase(env.databaseUrl, { poolMax: 2 });
  await importConfig(db, config, { ring: KeyRing.fromSecrets(config.system.encryptionKey) });
  const keys = await db('ai_api_keys')
    .orderBy('key_number')
    .select<{ key_id: number; account_id: number }[]>();
  const call = (k: number, model: string, client: string | null, tokens: number, status: number) => ({
    key_id: keys[k]!.key_id,
    account_id: keys[k]!.account_id,
    provider: 'openai',
    model,
    tokens_used: tokens,
    estimated_cost: tokens / 1000,
    response_status: status,
    client,
    created_at: new Date(Date.now() - 60_000),
  });
  await db('ai_request_logs').insert([
    call(0, 'gpt-4o', 'billing', 100, 200),
    call(0, 'gpt-4o-mini', 'billing', 40, 200),
    call(1, 'gpt-4o', 'search', 7, 500),
  ]);
});

afterAll(async () => {
  await db?.destroy();
  await env.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('aikeys usage', () => {
  it('prints a day table with totals by default', async () => {
    const run = await aikeys('usage');
    expect(run.code, run.stderr).toBe(0);
    const today = localDate(Date.now(), 'UTC');
    expect(run.stdout).toMatch(/^Usage \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d \(UTC\)/);
    expect(run.stdout).toMatch(new RegExp(`${today}\\s*│\\s*3\\s*│\\s*147\\s*│\\s*\\$0\\.147\\s*│\\s*1`));
    expect(run.stdout).toMatch(/Total\s*│\s*3\s*│\s*147\s*│\s*\$0\.147\s*│\s*1/);
    // 30 days and a total line, without grouping.
    expect(run.stdout.split('\n').filter((l) => /^│ \d{4}-/.test(l))).toHaveLength(30);
  });

  it('answers what one client spent on one model, split as asked', async () => {
    const run = await aikeys('usage', '--client', 'billing', '--model', 'gpt-4o', '--by', 'key', '--json');
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.series).toEqual([expect.objectContaining({ group: 'key_1', requests: 1, tokens: 100 })]);
    expect(json.totals).toEqual({ requests: 1, tokens: 100, cost: 0.1, errors: 0 });
  });

  it('prints the same JSON as GET /api/usage', async () => {
    const config = loadConfig({ file: envFile, env: env.env, cwd: dir });
    const app = await buildAdminApp({ db, config, queues: [], logger: silentLogger });
    try {
      const query = 'bucket=day&group_by=client';
      const api = (await app.inject({ method: 'GET', url: `/api/usage?${query}` })).json();
      const run = await aikeys('usage', '--by', 'client', '--json');
      expect(JSON.parse(run.stdout)).toEqual(api);
    } finally {
      await app.close();
    }
  });

  it('groups by hour and refuses a bad window naming the option', async () => {
    const hours = await aikeys('usage', '--bucket', 'hour', '--by', 'model');
    expect(hours.code).toBe(0);
    expect(hours.stdout).toMatch(/Hour\s*│\s*Group/);
    expect(hours.stdout).toMatch(/gpt-4o-mini/);
    const long = await aikeys('usage', '--bucket', 'hour', '--from', '2026-01-01', '--to', '2026-03-01');
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/^aikeys: --to: the window holds \d+ hours; at most 31 days/);
    const bad = await aikeys('usage', '--by', 'colour');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--by/);
    expect((await aikeys('usage', '--key', 'sk-x')).stderr).toMatch(/key_N/);
  });
});

describe('aikeys accounts', () => {
  it("lists accounts with today's tokens and this month's spend", async () => {
    const run = await aikeys('accounts');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Primary Account\s*│\s*openai\s*│\s*1\s*│\s*active\s*│\s*1 active \/ 1/);
    expect(run.stdout).toMatch(/\$0\.14 \(no budget\)/);
    expect(run.stdout).toMatch(/\$0\.007 \(no budget\)/);
  });

  it('shows one account and its keys, and its JSON equals the API answer', async () => {
    const id = (await db('ai_accounts').where({ priority: 1 }).first<{ account_id: number }>('account_id'))!
      .account_id;
    const run = await aikeys('accounts', String(id));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Primary Account \\(id ${id}, openai, priority 1, active\\)`));
    expect(run.stdout).toMatch(/spent this month\s+\$0\.14 \(no budget\)/);
    expect(run.stdout).toMatch(/key_1\s*│\s*gpt-4-turbo\s*│\s*active/);
    for (const secret of SECRETS) expect(run.stdout).not.toContain(secret.slice(0, 10));

    const config = loadConfig({ file: envFile, env: env.env, cwd: dir });
    const app = await buildAdminApp({ db, config, queues: [], logger: silentLogger });
    try {
      const api = (await app.inject({ method: 'GET', url: `/api/accounts/${id}` })).json();
      expect(JSON.parse((await aikeys('accounts', String(id), '--json')).stdout)).toEqual(api);
    } finally {
      await app.close();
    }
  });

  it('says so for an unknown account or a bad id', async () => {
    const missing = await aikeys('accounts', '99999');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('aikeys: no account with id 99999: `aikeys accounts` lists them\n');
    for (const id of ['primary', '2147483648']) {
      const bad = await aikeys('accounts', id);
      expect(bad.code, id).not.toBe(0);
      expect(bad.stderr, id).toMatch(/expected an account id/);
    }
  });
});
