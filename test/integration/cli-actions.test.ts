/**
 * The key-action commands (block, unblock, disable, enable, reset-daily) run in-process against this
 * file's own Postgres database and Redis prefix: each must change Postgres (read back here) and the
 * lease state in Redis (checked with a lease engine of the test's own on the same prefix).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { generateMasterKey, KeyRing } from '../../src/crypto/key-ring.js';
import { LeaseEngine } from '../../src/lease/engine.js';
import { createKeyPool, type KeyPool } from '../../src/lease/key-pool.js';
import { leaseSettingsFromConfig } from '../../src/lease/settings.js';
import { createCommandConnection } from '../../src/queues/connections.js';
import { createDb, type Db } from '../../src/store/database.js';
import { loadKeyStateSnapshot } from '../../src/store/lease-snapshot.js';
import { findKeyByName, type KeyView } from '../../src/store/keys.js';
import { runCliCaptured, type CliRun } from '../setup/cli-run.js';
import { isolate } from '../setup/isolation.js';

const SECRETS = [
  'sim-ok-actions-first-0123456789',
  'sim-ok-actions-second-0123456789',
  'sim-ok-actions-third-0123456789',
];

const env = isolate('cliactions');
let dir: string;
let envFile: string;
let masterKey: string;
let db: Db;
let redis: Redis;
let engine: LeaseEngine;
let pool: KeyPool;

type Run = CliRun;

function aikeys(...args: string[]): Promise<Run> {
  return runCliCaptured(args, { env: { ...env.env, AIKEYS_ENV_FILE: envFile }, cwd: dir });
}

async function writeKeys(count: number): Promise<void> {
  const keys = SECRETS.slice(0, count).map((secret, i) => `KEY_${i + 1}=${secret}`);
  await writeFile(
    envFile,
    [`AI_ENCRYPTION_KEY=${masterKey}`, 'AI_BLOCK_SECONDS=300', 'AI_MAX_BLOCK_SECONDS=3600', ...keys, ''].join(
      '\n',
    ),
  );
}

async function key(name: string): Promise<KeyView> {
  const found = await findKeyByName(db, name);
  if (!found) throw new Error(`test setup: no ${name}`);
  return found;
}

/** Which key a lease would pick with every key but `name` excluded: its id, or null if none can serve. */
async function leaseOnly(name: string): Promise<number | null> {
  const target = await key(name);
  const others = (await Promise.all(['key_1', 'key_2', 'key_3'].map((n) => findKeyByName(db, n))))
    .filter((k): k is KeyView => k !== undefined && k.keyId !== target.keyId)
    .map((k) => k.keyId);
  const result = await engine.lease({ provider: 'openai', estimatedTokens: 0, excludeKeyIds: others });
  if (!result.ok) return null;
  await engine.release(result.lease, { kind: 'request_error', status: 400 });
  return result.lease.keyId;
}

function expectOneLine(run: Run, stream: 'stdout' | 'stderr'): void {
  expect(run[stream].endsWith('\n')).toBe(true);
  expect(run[stream].trimEnd().split('\n')).toHaveLength(1);
}

function expectNoSecret(run: Run): void {
  for (const text of [run.stdout, run.stderr]) {
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).not.toContain(masterKey);
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'aikeys-cli-actions-'));
  envFile = path.join(dir, '.env.local');
  masterKey = generateMasterKey().reveal();
  await writeKeys(2);
  const imported = await aikeys('import');
  expect(imported.code, imported.stderr).toBe(0);
  const config = loadConfig({ file: envFile, env: env.env, cwd: dir });
  db = createDb(env.databaseUrl);
  redis = createCommandConnection(env.redisUrl);
  engine = new LeaseEngine({
    redis,
    prefix: env.prefix,
    settings: leaseSettingsFromConfig(config),
    loadSnapshot: () => loadKeyStateSnapshot(db),
  });
  pool = createKeyPool({
    db,
    engine,
    ring: KeyRing.fromSecrets(config.system.encryptionKey),
    counterFlushMs: 10,
  });
});

afterAll(async () => {
  await pool?.close();
  redis?.disconnect();
  await db?.destroy();
  await rm(dir, { recursive: true, force: true });
  await env.cleanup();
});

describe('aikeys block / unblock', () => {
  it('block marks the key temporarily_blocked in Postgres until a future time, and leases skip it', async () => {
    expect(await leaseOnly('key_1')).toBe((await key('key_1')).keyId);
    const before = Date.now();
    const run = await aikeys('block', 'key_1', '--seconds', '600', '--reason', 'testing');
    expect(run.code, run.stderr).toBe(0);
    expectOneLine(run, 'stdout');
    expect(run.stdout).toMatch(
      /^Blocked key_1 for 600 s \(testing\): status temporarily_blocked until \S+Z\n$/,
    );
    const blocked = await key('key_1');
    expect(blocked.status).toBe('temporarily_blocked');
    expect(blocked.temporaryBlockUntil!.getTime()).toBeGreaterThan(before + 500_000);
    expect(await leaseOnly('key_1')).toBeNull();
    expect(await leaseOnly('key_2')).toBe((await key('key_2')).keyId);
    expectNoSecret(run);
  });

  it('unblock makes it active again and leasable', async () => {
    const run = await aikeys('unblock', 'key_1');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('Unblocked key_1: status active\n');
    expect((await key('key_1')).status).toBe('active');
    expect(await leaseOnly('key_1')).toBe((await key('key_1')).keyId);
  });

  it('block without --seconds uses AI_BLOCK_SECONDS', async () => {
    const run = await aikeys('block', 'key_2');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Blocked key_2 for 300 s: status temporarily_blocked until /);
    expect((await aikeys('unblock', 'key_2')).code).toBe(0);
  });

  it('refuses a --seconds over AI_MAX_BLOCK_SECONDS, naming the limit and the setting', async () => {
    const run = await aikeys('block', 'key_1', '--seconds', '3601');
    expect(run.code).toBe(1);
    expectOneLine(run, 'stderr');
    expect(run.stderr).toContain('3600 s (AI_MAX_BLOCK_SECONDS)');
    expect((await key('key_1')).status).toBe('active');
    const atMax = await aikeys('block', 'key_1', '--seconds', '3600');
    expect(atMax.code, atMax.stderr).toBe(0);
    expect((await aikeys('unblock', 'key_1')).code).toBe(0);
  });

  it('rejects a --seconds that is not a positive whole number, naming the option', async () => {
    const run = await aikeys('block', 'key_1', '--seconds', '-5');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--seconds');
    expect((await key('key_1')).status).toBe('active');
  });
});

describe('aikeys disable / enable', () => {
  it('disable with a reason marks the key disabled with that reason, and leases skip it', async () => {
    const run = await aikeys('disable', 'key_2', '--reason', 'leaked in a screenshot');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('Disabled key_2: status disabled (leaked in a screenshot)\n');
    const disabled = await key('key_2');
    expect(disabled.status).toBe('disabled');
    expect(disabled.disabledReason).toBe('leaked in a screenshot');
    expect(await leaseOnly('key_2')).toBeNull();
  });

  it('enable makes it active again with no reason, and leasable', async () => {
    const run = await aikeys('enable', 'key_2');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('Enabled key_2: status active\n');
    const enabled = await key('key_2');
    expect(enabled.status).toBe('active');
    expect(enabled.disabledReason).toBeNull();
    expect(await leaseOnly('key_2')).toBe(enabled.keyId);
  });

  it('disable without --reason stores the one default reason', async () => {
    const run = await aikeys('disable', 'key_1');
    expect(run.code, run.stderr).toBe(0);
    expect((await key('key_1')).disabledReason).toBe('disabled by an operator');
    expect((await aikeys('enable', 'key_1')).code).toBe(0);
  });
});

describe('aikeys reset-daily', () => {
  it("sets every key's used_today to 0 in Postgres and in the lease state", async () => {
    const selected = await pool.lease({ provider: 'openai', estimatedTokens: 0 });
    if (!selected.ok) throw new Error('test setup: no key to lease');
    await pool.release(selected.key.lease, { kind: 'success', tokens: 1234 });
    await pool.flush();
    expect((await key(selected.key.keyName)).usedToday).toBe(1234);

    const run = await aikeys('reset-daily');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('Reset the daily usage of 2 keys: used_today is 0\n');
    for (const name of ['key_1', 'key_2']) expect((await key(name)).usedToday).toBe(0);
    const [state] = await engine.keyStates([selected.key.keyId]);
    expect(state?.usedToday).toBe(0);
  });
});

describe('errors and later imports', () => {
  it('an unknown key exits 1 with one line naming it', async () => {
    const run = await aikeys('block', 'key_9');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('aikeys: No key named key_9; list them with `aikeys keys` or GET /api/keys\n');
    for (const command of ['unblock', 'disable', 'enable']) {
      const other = await aikeys(command, 'key_9');
      expect(other.code).toBe(1);
      expect(other.stderr).toBe(
        'aikeys: No key named key_9; list them with `aikeys keys` or GET /api/keys\n',
      );
    }
  });

  it('acts on a key imported after the lease state was built (merged in, not "not loaded")', async () => {
    await writeKeys(3);
    expect((await aikeys('import')).code).toBe(0);
    const run = await aikeys('block', 'key_3', '--seconds', '60');
    expect(run.code, run.stderr).toBe(0);
    expect((await key('key_3')).status).toBe('temporarily_blocked');
    expect(await leaseOnly('key_3')).toBeNull();
    // The merge kept the other keys' states: key_1 and key_2 still lease.
    expect(await leaseOnly('key_1')).toBe((await key('key_1')).keyId);
  });

  it('rebuilds a lost lease state from Postgres, which keeps the block', async () => {
    await env.flushRedis();
    const run = await aikeys('unblock', 'key_3');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('Unblocked key_3: status active\n');
    expect(await leaseOnly('key_3')).toBe((await key('key_3')).keyId);
  });
});

describe('audit trail', () => {
  it('every command that changed something left an ai_admin_actions row naming the OS user, and a log line', async () => {
    const rows = await db('ai_admin_actions')
      .orderBy('id')
      .select('actor', 'action', 'key_name', 'reason', 'details');
    const actor = `cli:${userInfo().username}`;
    expect(rows.every((r: { actor: string }) => r.actor === actor)).toBe(true);
    const actions = rows.map(
      (r: { action: string; key_name: string | null }) => `${r.action} ${r.key_name ?? '-'}`,
    );
    for (const expected of [
      'import -',
      'block key_1',
      'unblock key_1',
      'disable key_1',
      'enable key_1',
      'reset-daily -',
    ]) {
      expect(actions).toContain(expected);
    }
    expect(rows).toContainEqual(
      expect.objectContaining({
        action: 'block',
        key_name: 'key_1',
        reason: 'testing',
        details: { seconds: 600 },
      }),
    );
    const imported = rows.find((r: { action: string }) => r.action === 'import') as {
      details: { added: string[] };
    };
    expect(imported.details.added).toEqual(['key_1', 'key_2']);
    // The failed action (an unknown key) is not in the trail.
    expect(rows.some((r: { key_name: string | null }) => r.key_name === 'key_9')).toBe(false);

    const run = await aikeys('disable', 'key_2', '--reason', 'audit check');
    expect(run.code, run.stderr).toBe(0);
    const line = JSON.parse(run.stderr.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({
      audit: true,
      actor,
      action: 'disable',
      keyName: 'key_2',
      reason: 'audit check',
    });
    expect(run.stderr).not.toContain('[redacted]');
    expectNoSecret(run);
  });
});
