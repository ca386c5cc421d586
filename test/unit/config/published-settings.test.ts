import { describe, expect, it } from 'vitest';
import {
  LIVE_SETTINGS,
  publishedSettings,
  readPublishedSettings,
  restartNeeded,
} from '../../../src/config/published-settings.js';
import { ENCRYPTION_LINE, envText, MASTER_KEY, parse } from './helpers.js';

describe('published reloadable settings', () => {
  it('are the reloadable AI_* settings, never a secret nor one a running process cannot take', () => {
    const names = LIVE_SETTINGS.map((d) => d.name);
    expect(names).toContain('AI_MAX_RETRIES');
    expect(names).toContain('AI_CIRCUIT_BREAKER_THRESHOLD');
    expect(names).toContain('AI_NO_KEY_WAIT_MS');
    for (const fixed of [
      'AI_ENCRYPTION_KEY',
      'AI_LEASE_TTL_MS',
      'AI_TIMEZONE',
      'REDIS_URL',
      'AI_MAX_PROMPT_BYTES',
    ])
      expect(names).not.toContain(fixed);
  });

  it('round-trip through their text to the values the file gave', () => {
    const config = parse(envText(ENCRYPTION_LINE, 'AI_MAX_RETRIES=7', 'AI_KEY_MAX_CONCURRENCY=4'));
    const published = publishedSettings(config);
    expect(JSON.stringify(published)).not.toContain(MASTER_KEY);
    const read = readPublishedSettings(JSON.parse(JSON.stringify(published)), 'row');
    expect(read.problems).toEqual([]);
    expect(read.settings).toMatchObject({ maxRetries: 7, keyMaxConcurrency: 4, circuitBreakerThreshold: 3 });
  });

  it('a value out of its bounds is refused by name, without its value; the others are taken', () => {
    const read = readPublishedSettings(
      { AI_MAX_RETRIES: 'many', AI_RETRY_DELAY_MS: '5', AI_BLOCK_SECONDS: 4 },
      'row',
    );
    expect(read.settings).toEqual({ retryDelayMs: 5 });
    expect(read.problems.map((p) => p.name)).toEqual(['AI_MAX_RETRIES', 'AI_BLOCK_SECONDS']);
    expect(JSON.stringify(read.problems)).not.toContain('many');
    expect(readPublishedSettings('nope', 'row').problems).toHaveLength(1);
  });
});

describe('restartNeeded', () => {
  const running = parse(envText(ENCRYPTION_LINE, 'AI_MAX_RETRIES=3'));

  it('names settings that differ and apply only after a restart, not reloadable ones', () => {
    const next = parse(
      envText(
        ENCRYPTION_LINE,
        'AI_MAX_RETRIES=9',
        'AI_LEASE_TTL_MS=90000',
        'AI_PROVIDER_OPENAI_BASE_URL=http://127.0.0.1:9/v1',
      ),
    );
    expect(restartNeeded(running, next)).toEqual(['AI_LEASE_TTL_MS', 'AI_PROVIDER_OPENAI_BASE_URL']);
    expect(restartNeeded(running, running)).toEqual([]);
  });

  it('a new master key is named, its value never', () => {
    const other = Buffer.alloc(32, 12).toString('base64');
    const names = restartNeeded(running, parse(envText(`AI_ENCRYPTION_KEY=${other}`, 'AI_MAX_RETRIES=3')));
    expect(names).toEqual(['AI_ENCRYPTION_KEY']);
  });
});
