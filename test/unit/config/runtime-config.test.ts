/**
 * Processes that do not import (worker replicas, the admin server) load a config without key
 * secrets: from the env file with the secrets dropped, or, with no env file, from the process
 * environment alone (the master key as AI_ENCRYPTION_KEY).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_ONLY, loadRuntimeConfig } from '../../../src/config/runtime-config.js';
import { ConfigError } from '../../../src/core/errors.js';
import { ENCRYPTION_LINE, envText, MASTER_KEY } from './helpers.js';

const SECRET = 'sk-runtime-secret-0123456789';

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'aikeys-runtime-config-'));
}

describe('loadRuntimeConfig', () => {
  it('reads the env file and keeps its keys by hash only', () => {
    const file = path.join(tempDir(), '.env.local');
    writeFileSync(file, envText(ENCRYPTION_LINE, `KEY_1=${SECRET}`, 'AI_MAX_RETRIES=5'));
    const config = loadRuntimeConfig({ file, env: {} });
    expect(config.keys.map((k) => k.name)).toEqual(['key_1']);
    expect(config.keys[0]).not.toHaveProperty('secret');
    expect(config.system.maxRetries).toBe(5);
    expect(inspect(config, { depth: null, showHidden: true })).not.toContain(SECRET.slice(0, 12));
    expect(JSON.stringify(config)).not.toContain(SECRET.slice(0, 12));
  });

  it('without an env file, takes its settings from the environment when the master key is there', () => {
    const cwd = tempDir();
    const config = loadRuntimeConfig({
      cwd,
      env: {
        AI_ENCRYPTION_KEY: MASTER_KEY,
        AI_MAX_RETRIES: '4',
        AI_PROVIDER_OPENAI_BASE_URL: 'http://127.0.0.1:1/v1',
      },
    });
    expect(config.file).toBe(ENVIRONMENT_ONLY);
    expect(config.keys).toEqual([]);
    expect(config.system.encryptionKey.reveal()).toBe(MASTER_KEY);
    expect(config.system.maxRetries).toBe(4);
  });

  it('without an env file and without the master key in the environment, reports the missing file', () => {
    expect(() => loadRuntimeConfig({ cwd: tempDir(), env: {} })).toThrow(ConfigError);
    expect(() => loadRuntimeConfig({ cwd: tempDir(), env: {} })).toThrow(/env file not found/);
  });
});
