/**
 * The real `aikeys` CLI as a child process (node bin/aikeys.js, the same path `npx aikeys` takes),
 * pointed at this file's own database through the environment, reading an env file in a temp dir.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.js';
import { decodeMasterKey } from '../../src/crypto/key-ring.js';
import { createDb } from '../../src/store/database.js';
import { isolate } from '../setup/isolation.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin/aikeys.js');

const SECRETS = [
  'sk-cli-first-0123456789abcdefXYZ1',
  'sk-cli-second-0123456789abcdefXYZ2',
  'sk-ant-cli-third-0123456789XYZ3',
];

const env = isolate('cli');
let dir: string;
let envFile: string;
let masterKey: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function aikeys(args: string[], extraEnv: Record<string, string> = {}, stdin?: string): Promise<Run> {
  // Only what the CLI needs: a developer's own DATABASE_URL or AIKEYS_ENV_FILE must not leak in.
  const childEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    ...env.env,
    AIKEYS_ENV_FILE: envFile,
    ...extraEnv,
  };
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: dir, env: childEnv },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(stdin ?? '');
  });
}

function envText(keys: string): string {
  return [
    '# aikeys test config, shaped like config/.env.example',
    `AI_ENCRYPTION_KEY=${masterKey}`,
    'AI_DEFAULT_MODEL=gpt-4-turbo',
    'AI_DAILY_QUOTA_PER_KEY=100000',
    '',
    keys,
    '',
  ].join('\n');
}

const THREE_KEYS = [
  `KEY_1=${SECRETS[0]}`,
  `KEY_2=${SECRETS[1]}`,
  'KEY_2_MODEL=gpt-3.5-turbo',
  `KEY_3=${SECRETS[2]}`,
  'KEY_3_PROVIDER=anthropic',
  'KEY_3_MODEL=claude-3-5-haiku-latest',
].join('\n');

function expectNoSecret(run: Run): void {
  for (const text of [run.stdout, run.stderr]) {
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).not.toContain(masterKey);
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'aikeys-cli-'));
  envFile = path.join(dir, '.env.local');
  const generated = await aikeys(['gen-key']);
  expect(generated.code).toBe(0);
  masterKey = generated.stdout.trim();
  await writeFile(envFile, envText(THREE_KEYS));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await env.cleanup();
});

describe('aikeys CLI', () => {
  it('gen-key prints base64 of 32 random bytes, and a hint on stderr that does not repeat it', async () => {
    const run = await aikeys(['gen-key']);
    expect(run.code).toBe(0);
    const key = run.stdout.trim();
    expect(run.stdout).toBe(`${key}\n`);
    expect(key).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(key).not.toBe(masterKey);
    expect(run.stderr).toContain('AI_ENCRYPTION_KEY=');
    expect(run.stderr).not.toContain(key);
  });

  it('migrate creates the database and applies the schema, then has nothing to do', async () => {
    const first = await aikeys(['migrate']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('002_ai_api_keys');
    const second = await aikeys(['migrate']);
    expect(second.stdout).toContain('up to date');
  });

  it('import is idempotent: the first adds every key, a second writes nothing', async () => {
    const dry = await aikeys(['import', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('nothing was written');

    const first = await aikeys(['import']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Keys: 3 added, 0 changed, 0 disabled, 0 unchanged');
    expect(first.stdout).toMatch(/added\s*│\s*key_3/);
    expectNoSecret(first);

    const second = await aikeys(['import']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('Keys: 0 added, 0 changed, 0 disabled, 3 unchanged');
    expect(second.stdout).toContain('Accounts: 0 added, 0 changed');
    expectNoSecret(second);
  });

  it('keys lists every key with its masked secret only', async () => {
    const table = await aikeys(['keys']);
    expect(table.code, table.stderr).toBe(0);
    for (const secret of SECRETS) expect(table.stdout).toContain(new Secret(secret).masked);
    expect(table.stdout).toContain('claude-3-5-haiku-latest');
    expectNoSecret(table);

    const json = await aikeys(['keys', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const keys = JSON.parse(json.stdout) as {
      name: string;
      provider: string;
      masked: string;
      status: string;
    }[];
    expect(keys.map((k) => [k.name, k.provider, k.status, k.masked])).toEqual([
      ['key_1', 'openai', 'active', new Secret(SECRETS[0]!).masked],
      ['key_2', 'openai', 'active', new Secret(SECRETS[1]!).masked],
      ['key_3', 'anthropic', 'active', new Secret(SECRETS[2]!).masked],
    ]);
    expectNoSecret(json);
  });

  it('health exits 0 while a key is active, and 1 with a one-line reason when none is', async () => {
    const healthy = await aikeys(['health', '--json']);
    expect(healthy.code, healthy.stderr).toBe(0);
    expect(JSON.parse(healthy.stdout)).toMatchObject({
      healthy: true,
      totalKeys: 3,
      activeKeys: 3,
      accounts: 3,
      encryptionEnabled: true,
    });

    const db = createDb(env.databaseUrl);
    try {
      await db('ai_api_keys').update({ status: 'exhausted' });
      const unhealthy = await aikeys(['health']);
      expect(unhealthy.code).toBe(1);
      expect(unhealthy.stdout).toMatch(/healthy\s+false/);
      expect(unhealthy.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^aikeys: unhealthy: no active key/),
      ]);
    } finally {
      await db('ai_api_keys').update({ status: 'active' });
      await db.destroy();
    }
  });

  it('removing a key from the file disables it on the next import', async () => {
    await writeFile(envFile, envText(THREE_KEYS.split('\n').slice(0, 3).join('\n')));
    try {
      const run = await aikeys(['import']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('removed from config (was key_3)');
      expect(run.stdout).toContain('Keys: 0 added, 0 changed, 1 disabled, 2 unchanged');
      expectNoSecret(run);
    } finally {
      await writeFile(envFile, envText(THREE_KEYS));
    }
    const back = await aikeys(['import']);
    expect(back.stdout).toContain('status: disabled -> active');
  });

  it('a bad config exits 2 with one line naming the file and line, and no secret', async () => {
    const bad = path.join(dir, 'bad.env');
    // Line 7: a misspelt suffix.
    await writeFile(bad, envText(`KEY_1=${SECRETS[0]}\nKEY_1_MODLE=gpt-4o`));
    const run = await aikeys(['import', '-e', bad]);
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^aikeys: /);
    expect(lines[0]).toContain(`${bad}:7`);
    expect(lines[0]).toContain('KEY_1_MODLE');
    expect(run.stdout).toBe('');
    expectNoSecret(run);
  });

  it('an unreachable database is one line without a stack trace', async () => {
    const run = await aikeys(['keys'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/aikeys_nowhere' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^aikeys: Cannot connect to PostgreSQL/),
    ]);
  });

  it('rotate-encryption-key re-seals every key with the new master key, reading the old one from stdin', async () => {
    const oldKey = masterKey;
    const newKey = (await aikeys(['gen-key'])).stdout.trim();
    masterKey = newKey;
    await writeFile(envFile, envText(THREE_KEYS));

    const before = await aikeys(['health', '--json']);
    expect(JSON.parse(before.stdout)).toMatchObject({ keysSealedByOtherMasterKey: 3 });

    const run = await aikeys(['rotate-encryption-key', '--old', '-'], {}, `${oldKey}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Re-sealed 3 key(s)');
    for (const text of [run.stdout, run.stderr]) expect(text).not.toContain(oldKey);
    expectNoSecret(run);

    const after = await aikeys(['health', '--json']);
    expect(JSON.parse(after.stdout)).toMatchObject({ keysSealedByOtherMasterKey: 0 });
    const keys = await aikeys(['keys']);
    for (const secret of SECRETS) expect(keys.stdout).toContain(new Secret(secret).masked);

    // The rotation is in the audit trail, with its counts and neither key.
    expect(run.stderr).toMatch(/"action":"rotate"/);
    const db = createDb(env.databaseUrl);
    try {
      const rows = await db('ai_admin_actions').where({ action: 'rotate' }).select('actor', 'details');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ actor: expect.stringMatching(/^cli:/), details: { resealed: 3 } });
      expect(JSON.stringify(rows)).not.toContain(oldKey);
      expect(JSON.stringify(rows)).not.toContain(newKey);
    } finally {
      await db.destroy();
    }
  });

  it('rotate-encryption-key also takes the old key from AI_ENCRYPTION_KEY_PREVIOUS; health counts keys per master key', async () => {
    const oldKey = masterKey;
    const newKey = (await aikeys(['gen-key'])).stdout.trim();
    masterKey = newKey;
    await writeFile(envFile, envText(THREE_KEYS));
    const previous = { AI_ENCRYPTION_KEY_PREVIOUS: oldKey };
    const idOf = (key: string) => decodeMasterKey(new Secret(key)).id;

    const before = JSON.parse((await aikeys(['health', '--json'], previous)).stdout);
    expect(before.keysByMasterKey).toHaveLength(2);
    expect(before.keysByMasterKey).toEqual(
      expect.arrayContaining([
        { masterKeyId: idOf(oldKey), role: 'previous', keys: 3, v1Keys: 0 },
        { masterKeyId: idOf(newKey), role: 'current', keys: 0, v1Keys: 0 },
      ]),
    );

    const run = await aikeys(['rotate-encryption-key'], previous);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Re-sealed 3 key(s)');
    for (const text of [run.stdout, run.stderr]) expect(text).not.toContain(oldKey);
    expectNoSecret(run);

    const after = await aikeys(['health'], previous);
    expect(after.stdout).toMatch(new RegExp(`master_key ${idOf(oldKey)}\\s+0 keys \\(0 v1\\), previous`));
    expect(after.stdout).toMatch(new RegExp(`master_key ${idOf(newKey)}\\s+3 keys \\(0 v1\\), current`));
    for (const text of [after.stdout, after.stderr]) {
      expect(text).not.toContain(oldKey);
      expect(text).not.toContain(newKey);
    }
  });

  it('an unknown command is a usage error', async () => {
    const run = await aikeys(['frobnicate']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^aikeys: unknown command 'frobnicate'/);
  });
});
