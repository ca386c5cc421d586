import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/core/secret.js';
import { renderHealth } from '../../../src/cli/commands/health.js';
import { renderKeys, type ListedKey } from '../../../src/cli/commands/keys.js';
import { renderImportReport } from '../../../src/cli/render/import-report.js';
import type { ImportReport } from '../../../src/store/import-config.js';

const secret = new Secret('sk-render-0123456789abcdefghij');

const report: ImportReport = {
  dryRun: true,
  file: '/srv/config/.env.local',
  accounts: {
    added: [{ ref: 'openai:2', name: 'Secondary Account (Fallback)' }],
    changed: [],
    unchanged: [],
  },
  added: [{ name: 'key_1', masked: secret.masked, provider: 'openai', model: 'gpt-4o', account: 'openai:1' }],
  changed: [
    {
      name: 'key_2',
      masked: 'sk-xyz…wxyz',
      provider: 'openai',
      model: 'gpt-4o',
      account: 'openai:2',
      changes: [
        { field: 'model', from: 'gpt-4-turbo', to: 'gpt-4o' },
        { field: 'maxConcurrency', from: null, to: 4 },
      ],
    },
  ],
  disabled: [
    {
      name: 'key_7',
      masked: '(unreadable)',
      provider: 'openai',
      model: 'gpt-4-turbo',
      account: 'openai:1',
      reason: 'removed from config (was key_7)',
    },
  ],
  unchanged: [],
  alreadyRemoved: 2,
  legacy: [
    {
      file: '/srv/config/.env.local',
      line: 4,
      name: 'OPENAI_API_KEY',
      newName: 'KEY_8',
      message: 'OPENAI_API_KEY is a legacy name: rename it to KEY_8',
    },
  ],
};

describe('renderImportReport', () => {
  it('shows each key with its result, masked secret and what changed, then a summary and legacy notices', () => {
    const text = renderImportReport(report);
    expect(text).toMatch(/^Dry run of \/srv\/config\/\.env\.local: nothing was written\./);
    expect(text).toContain('added openai:2 "Secondary Account (Fallback)"');
    expect(text).toMatch(/added\s*│ key_1\s*│ sk-re…ghij/);
    expect(text).toContain('model: gpt-4-turbo -> gpt-4o');
    expect(text).toContain('maxConcurrency: none -> 4');
    expect(text).toContain('removed from config (was key_7)');
    expect(text).toContain(
      'Keys: 1 added, 1 changed, 1 disabled, 0 unchanged (2 removed earlier, left alone)',
    );
    expect(text).toContain('/srv/config/.env.local:4: OPENAI_API_KEY is a legacy name: rename it to KEY_8');
    expect(text).not.toContain(secret.reveal());
  });
});

describe('renderKeys', () => {
  const key: ListedKey = {
    keyId: 1,
    name: 'key_1',
    number: 1,
    accountId: 1,
    accountName: 'Primary Account',
    provider: 'openai',
    priority: 1,
    model: 'gpt-4o',
    status: 'temporarily_blocked',
    usedToday: 1234,
    dailyLimit: 100000,
    maxConcurrency: null,
    consecutiveFailures: 2,
    temporaryBlockUntil: new Date('2030-01-02T03:04:05.678Z'),
    disabledReason: null,
    disabledKind: null,
    lastUsedAt: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    masked: secret.masked,
  };

  it('shows usage, failures, block time and the masked secret', () => {
    const text = renderKeys([key]);
    expect(text).toContain('1234/100000');
    expect(text).toContain('2030-01-02T03:04:05Z');
    expect(text).toContain(secret.masked);
    expect(text).not.toContain(secret.reveal());
  });

  it('says what to do when there are no keys', () => {
    expect(renderKeys([])).toContain('aikeys import');
  });
});

describe('renderHealth', () => {
  it('lists the health fields by their snake_case names with their values', () => {
    const text = renderHealth({
      totalKeys: 3,
      activeKeys: 0,
      disabledKeys: 1,
      blockedKeys: 1,
      exhaustedKeys: 1,
      accounts: 2,
      healthy: false,
      encryptionEnabled: true,
      keysSealedByOtherMasterKey: null,
      keysByMasterKey: [],
      usageRejects: 4,
      config: null,
    });
    expect(text).toMatch(/^config\s+no import recorded yet$/m);
    expect(text).toMatch(/^healthy\s+false$/m);
    expect(text).toMatch(/^active_keys\s+0$/m);
    expect(text).toMatch(/^keys_sealed_by_other_master_key\s+unknown$/m);
    expect(text).toMatch(/^usage_rejects\s+4$/m);
  });

  it('shows the env file import status: last import, last error with file and line, restart needed', () => {
    const text = renderHealth({
      totalKeys: 1,
      activeKeys: 1,
      disabledKeys: 0,
      blockedKeys: 0,
      exhaustedKeys: 0,
      accounts: 1,
      healthy: true,
      encryptionEnabled: true,
      keysSealedByOtherMasterKey: 0,
      keysByMasterKey: [],
      usageRejects: 0,
      config: {
        file: '/etc/aikeys/.env.local',
        last_import_at: '2026-01-02T03:04:05.000Z',
        last_import: { added: 1, changed: 2, disabled: 3, unchanged: 4 },
        last_error: {
          at: '2026-01-02T03:05:00.000Z',
          file: '/etc/aikeys/.env.local',
          line: 7,
          message: 'bad',
        },
        restart_needed: ['AI_LEASE_TTL_MS', 'REDIS_URL'],
      },
    });
    expect(text).toMatch(/^config_last_import\s+added 1, changed 2, disabled 3, unchanged 4$/m);
    expect(text).toMatch(/^config_last_error\s+\/etc\/aikeys\/\.env\.local:7 at .*: bad$/m);
    expect(text).toMatch(/^config_restart_needed\s+AI_LEASE_TTL_MS, REDIS_URL$/m);
  });
});
