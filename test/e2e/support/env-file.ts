/**
 * Env files for end-to-end runs: simulated keys (the secret's prefix picks the simulator's
 * behaviour, see src/simulator/key-behaviour.ts) with a random tail, so every raw secret is unique
 * to the run and can be searched for afterwards. Also imports them, as `aikeys import` would.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config/load-config.js';
import type { AikeysConfig } from '../../../src/config/types.js';
import { generateMasterKey, KeyRing } from '../../../src/crypto/key-ring.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { importConfig } from '../../../src/store/import-config.js';
import type { Isolated } from '../../setup/isolation.js';

export interface KeyPlan {
  /** e.g. `sim-ok-alpha`, `sim-401-revoked`; a random tail is added. */
  readonly prefix: string;
  readonly dailyLimit?: number;
  readonly maxConcurrency?: number;
}

export interface TestEnvFile {
  readonly dir: string;
  readonly file: string;
  /** KEY_N's raw secret at index N-1. */
  readonly secrets: readonly string[];
  /** The raw AI_ENCRYPTION_KEY. */
  readonly masterKey: string;
}

export async function writeTestEnvFile(
  keys: readonly KeyPlan[],
  settings: Readonly<Record<string, string | number>>,
): Promise<TestEnvFile> {
  const dir = await mkdtemp(path.join(tmpdir(), 'aikeys-e2e-'));
  const file = path.join(dir, '.env');
  const masterKey = generateMasterKey().reveal();
  const secrets = keys.map((k) => `${k.prefix}-${randomBytes(16).toString('hex')}`);
  const lines = [
    `AI_ENCRYPTION_KEY=${masterKey}`,
    'AI_DEFAULT_MODEL=gpt-4o-mini',
    'AI_FALLBACK_MODEL=gpt-4o-mini',
    ...Object.entries(settings).map(([name, value]) => `${name}=${value}`),
  ];
  keys.forEach((plan, i) => {
    const n = i + 1;
    lines.push(`KEY_${n}=${secrets[i]}`);
    if (plan.dailyLimit !== undefined) lines.push(`KEY_${n}_DAILY_LIMIT=${plan.dailyLimit}`);
    if (plan.maxConcurrency !== undefined) lines.push(`KEY_${n}_MAX_CONCURRENCY=${plan.maxConcurrency}`);
  });
  await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return { dir, file, secrets, masterKey };
}

/** Loads the file with this test's services, creates the schema and imports the keys. */
export async function importTestKeys(
  isolated: Isolated,
  envFile: TestEnvFile,
): Promise<{ db: Db; config: AikeysConfig }> {
  const config = loadConfig({ file: envFile.file, env: isolated.env });
  const db = await openDatabase(isolated.databaseUrl);
  await importConfig(db, config, { ring: KeyRing.fromSecrets(config.system.encryptionKey) });
  return { db, config };
}
