import { inspect } from 'node:util';
import { Secret } from '../../../src/core/secret.js';
import { hashSecret } from '../../../src/crypto/hash.js';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigManager, nodeFileSystem, type ConfigFileSystem } from '../../../src/config/config-manager.js';
import { loadConfig, loadServiceSettings, resolveEnvFile } from '../../../src/config/load-config.js';
import { configError, ENCRYPTION_LINE, envText } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'aikeys-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function writeEnv(text: string, name = `env-${++counter}`): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Counts reads so the test can tell a cached config from a re-parsed one. */
function countingFs(): ConfigFileSystem & { reads: number } {
  const fs = {
    reads: 0,
    stat: nodeFileSystem.stat,
    read(file: string) {
      fs.reads++;
      return nodeFileSystem.read(file);
    },
  };
  return fs;
}

describe('loadConfig', () => {
  it('reads config/.env.local under cwd by default, or AIKEYS_ENV_FILE', () => {
    const cwd = path.join(dir, 'project');
    expect(resolveEnvFile({ cwd, env: {} })).toBe(path.join(cwd, 'config/.env.local'));
    expect(resolveEnvFile({ cwd, env: { AIKEYS_ENV_FILE: 'other.env' } })).toBe(path.join(cwd, 'other.env'));
    expect(resolveEnvFile({ cwd, file: '/abs/x.env', env: { AIKEYS_ENV_FILE: 'other.env' } })).toBe(
      '/abs/x.env',
    );

    const file = writeEnv(envText(ENCRYPTION_LINE, 'KEY_1=sk-load-1111'));
    const config = loadConfig({ env: { AIKEYS_ENV_FILE: file, AI_MAX_RETRIES: '5' } });
    expect(config.file).toBe(file);
    expect(config.system.maxRetries).toBe(5);
    expect(config.keys).toHaveLength(1);
  });

  it('says to copy config/.env.example when the file is missing', () => {
    const missing = path.join(dir, 'nope', '.env.local');
    const error = configError(() => loadConfig({ file: missing, env: {} }));
    expect(error.problems).toEqual([expect.objectContaining({ file: missing })]);
    expect(error.message).toContain('copy config/.env.example');
  });

  it('gives service settings with or without the env file', () => {
    expect(loadServiceSettings({ file: path.join(dir, 'absent'), env: { PORT: '4000' } }).port).toBe(4000);
    const file = writeEnv(
      envText('KEY_0=broken-key-is-not-checked', 'REDIS_URL=redis://from-file:6379', 'PORT=4100'),
    );
    expect(loadServiceSettings({ file, env: { PORT: '4200' } })).toMatchObject({
      redisUrl: 'redis://from-file:6379',
      port: 4200,
    });
  });

  it('ships a config/.env.example that loads once the encryption key is filled in', () => {
    const example = path.resolve(import.meta.dirname, '../../../config/.env.example');
    const config = loadConfig({
      file: example,
      env: { AI_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64') },
    });
    expect(config.keys.map((k) => k.name)).toEqual(['key_1', 'key_2']);
    expect(configError(() => loadConfig({ file: example, env: {} })).message).toContain(
      'Encryption key not configured',
    );
  });
});

describe('ConfigManager', () => {
  it('returns the same config while the file is untouched and re-reads it after a change', () => {
    const file = writeEnv(envText(ENCRYPTION_LINE, 'KEY_1=sk-cache-1111'));
    const fs = countingFs();
    const manager = new ConfigManager({ file, env: {}, fs });
    const first = manager.config;
    expect(manager.config).toBe(first);
    expect(manager.getAllKeys()).toBe(first.keys);
    expect(fs.reads).toBe(1);

    writeFileSync(file, envText(ENCRYPTION_LINE, 'KEY_1=sk-cache-1111', 'KEY_2=sk-cache-2222'));
    const second = manager.config;
    expect(second).not.toBe(first);
    expect(second.keys.map((k) => k.name)).toEqual(['key_1', 'key_2']);
    expect(fs.reads).toBe(2);
  });

  it('notices a same-size rewrite by its modification time', () => {
    const file = writeEnv(envText(ENCRYPTION_LINE, 'KEY_1=sk-mtime-1111'));
    const manager = new ConfigManager({ file, env: {} });
    const first = manager.config;
    writeFileSync(file, envText(ENCRYPTION_LINE, 'KEY_1=sk-mtime-2222'));
    const later = new Date(Date.now() + 5_000);
    utimesSync(file, later, later);
    expect(manager.config).not.toBe(first);
    expect(manager.getKeyByNumber(1)?.hash).toBe(hashSecret(new Secret('sk-mtime-2222')));
  });

  it('holds no key secret, only hashes; readForImport reads them afresh and keeps nothing', () => {
    const file = writeEnv(envText(ENCRYPTION_LINE, 'KEY_1=sk-held-secret-1111'));
    const manager = new ConfigManager({ file, env: {} });
    const held = manager.config;
    expect(held.keys[0]).not.toHaveProperty('secret');
    expect(held.keys[0]?.hash).toBe(hashSecret(new Secret('sk-held-secret-1111')));
    expect(inspect(held, { depth: null, showHidden: true })).not.toContain('sk-held');
    const forImport = manager.readForImport();
    expect(forImport.keys[0]?.secret.reveal()).toBe('sk-held-secret-1111');
    expect(manager.config).toBe(held);
    expect(manager.readForImport()).not.toBe(forImport);
  });

  it('looks keys up by name and number, and accounts by id', () => {
    const file = writeEnv(
      envText(
        ENCRYPTION_LINE,
        'KEY_1=sk-look-1111',
        'KEY_2=sk-look-2222',
        'KEY_3=sk-look-3333',
        'AI_MAX_RETRIES=4',
      ),
    );
    const manager = new ConfigManager({ file, env: {} });
    expect(manager.getKeyByName('key_2')?.number).toBe(2);
    expect(manager.getKeyByName('key_9')).toBeUndefined();
    expect(manager.getKeyByNumber(3)?.name).toBe('key_3');
    expect(manager.getAllAccounts().map((a) => a.name)).toEqual([
      'Primary Account',
      'Secondary Account (Fallback)',
    ]);
    expect(manager.getAccountById(2)?.keyNumbers).toEqual([3]);
    expect(manager.getAccountById(3)).toBeUndefined();
    expect(manager.getSystemSettings().maxRetries).toBe(4);
    expect(manager.validateEncryptionKey()).toBe(true);
  });

  it('validateEncryptionKey is false, not a throw, when the key is missing or wrong', () => {
    const missing = new ConfigManager({ file: writeEnv('KEY_1=sk-nokey-1111'), env: {} });
    expect(missing.validateEncryptionKey()).toBe(false);
    const short = new ConfigManager({ file: writeEnv('AI_ENCRYPTION_KEY=c2hvcnQ='), env: {} });
    expect(short.validateEncryptionKey()).toBe(false);
  });

  it('throws the ConfigError of a broken edit, and recovers once it is fixed', () => {
    const file = writeEnv(envText(ENCRYPTION_LINE, 'KEY_1=sk-edit-1111'));
    const manager = new ConfigManager({ file, env: {} });
    expect(manager.getAllKeys()).toHaveLength(1);
    writeFileSync(file, envText(ENCRYPTION_LINE, 'KEY_1=sk-edit-1111', 'KEY_02=sk-edit-2222'));
    expect(configError(() => manager.config).problems[0]).toMatchObject({ line: 3, name: 'KEY_02' });
    writeFileSync(file, envText(ENCRYPTION_LINE, 'KEY_1=sk-edit-1111', 'KEY_2=sk-edit-2222', '# fixed'));
    expect(manager.getAllKeys()).toHaveLength(2);
  });
});
