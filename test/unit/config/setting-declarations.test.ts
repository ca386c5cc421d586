import { describe, expect, it } from 'vitest';
import { KEY_SUFFIXES } from '../../../src/config/key-entries.js';
import { SETTINGS } from '../../../src/config/setting-declarations.js';
import { SETTING_PATTERNS } from '../../../src/config/setting-patterns.js';
import {
  declaredDefaults,
  SERVICE_SETTING_NAMES,
  SYSTEM_SETTING_NAMES,
} from '../../../src/config/settings-schema.js';
import { settingsView } from '../../../src/http/settings-view.js';
import { leaseSettingsFromConfig } from '../../../src/lease/settings.js';
import { ENCRYPTION_LINE, envText, parse } from './helpers.js';

const KEY = 'KEY_1=sk-declared-1111';

describe('setting declarations', () => {
  it('declare each name and field once, with a one-line description', () => {
    const names = SETTINGS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const group of ['system', 'service'] as const) {
      const fields = SETTINGS.filter((d) => d.group === group).map((d) => d.field);
      expect(new Set(fields).size, group).toBe(fields.length);
    }
    for (const d of SETTINGS) {
      expect(d.description, d.name).toMatch(/^[^\n]{10,}$/);
      expect(typeof d.reloadable, d.name).toBe('boolean');
    }
  });

  it('are what the parser accepts and what the parsed config holds, field for field', () => {
    expect([...SYSTEM_SETTING_NAMES, ...SERVICE_SETTING_NAMES].sort()).toEqual(
      SETTINGS.map((d) => d.name).sort(),
    );
    const config = parse(envText(ENCRYPTION_LINE, KEY));
    const fields = (group: string) =>
      SETTINGS.filter((d) => d.group === group)
        .map((d) => d.field as string)
        .sort();
    expect(Object.keys(config.system).sort()).toEqual(fields('system'));
    expect(Object.keys(config.services).sort()).toEqual(fields('service'));
  });

  it('give every setting its default for configs built in code', () => {
    const {
      encryptionKey: _key,
      previousEncryptionKeys: _previous,
      ...system
    } = parse(envText(ENCRYPTION_LINE, KEY)).system;
    const defaults = declaredDefaults();
    expect(defaults.system).toStrictEqual(system);
    expect(defaults.services).toStrictEqual(parse(envText(ENCRYPTION_LINE, KEY)).services);
  });

  it('maps each setting to its own field', () => {
    const config = parse(
      envText(ENCRYPTION_LINE, KEY, 'AI_NO_KEY_WAIT_MS=1234', 'AIKEYS_QUEUE=my-queue', 'HOST=0.0.0.0'),
    );
    expect(config.system.noKeyWaitMs).toBe(1234);
    expect(config.services.queueName).toBe('my-queue');
    expect(config.services.host).toBe('0.0.0.0');
  });

  it('list the key patterns key-entries.ts parses', () => {
    const keyPatterns = SETTING_PATTERNS.filter((p) => p.group === 'key').map((p) => p.name);
    expect(keyPatterns).toEqual(['KEY_N', ...KEY_SUFFIXES.map((suffix) => `KEY_N_${suffix}`)]);
  });

  it('give the lease engine its settings from the config', () => {
    const config = parse(envText(ENCRYPTION_LINE, KEY, 'AI_BLOCK_SECONDS=77', 'AI_KEY_MAX_CONCURRENCY=5'));
    expect(leaseSettingsFromConfig(config)).toEqual({
      leaseTtlMs: 120000,
      circuitBreakerThreshold: 3,
      blockSeconds: 77,
      maxBlockSeconds: 86400,
      keyProbeAfterMs: 300000,
      providerCooldownMs: 30000,
      fallbackModel: 'gpt-3.5-turbo',
      keyMaxConcurrency: 5,
    });
  });
});

describe('settings view from the declarations', () => {
  const config = parse(
    envText(
      ENCRYPTION_LINE,
      KEY,
      'AIKEYS_ADMIN_TOKEN=token-from-the-file-0123456789abcdef',
      'DATABASE_URL=postgres://app:hunter2@db:5432/aikeys',
      'AI_MAX_RETRIES=7',
    ),
  );

  it('lists every declared setting in its group, in declaration order, with description and reloadable', () => {
    const view = settingsView(config, true);
    for (const [group, entries] of [
      ['system', view.system],
      ['service', view.services],
    ] as const) {
      const declared = SETTINGS.filter((d) => d.group === group);
      expect(entries.map((e) => e.name)).toEqual(declared.map((d) => d.name));
      for (const [i, d] of declared.entries()) {
        expect(entries[i]).toMatchObject({ description: d.description, reloadable: d.reloadable });
      }
    }
    expect(view.system.find((e) => e.name === 'AI_MAX_RETRIES')?.value).toBe(7);
  });

  it('shows secrets only as configured and masks URL passwords', () => {
    const view = settingsView(config, false);
    const text = JSON.stringify(view);
    expect(text).not.toContain('token-from-the-file-0123456789abcdef');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(ENCRYPTION_LINE.split('=')[1]);
    const services = Object.fromEntries(view.services.map((e) => [e.name, e.value]));
    // What the server enforces decides, not the file: here the caller runs without a token.
    expect(services.AIKEYS_ADMIN_TOKEN).toBe('not configured');
    expect(services.DATABASE_URL).toBe('postgres://app:***@db:5432/aikeys');
    expect(view.system.find((e) => e.name === 'AI_ENCRYPTION_KEY')?.value).toBe('configured');
    for (const d of SETTINGS.filter((s) => 'secret' in s && s.secret)) {
      const entry = [...view.system, ...view.services].find((e) => e.name === d.name);
      expect(['configured', 'not configured'], d.name).toContain(entry?.value);
    }
  });
});
