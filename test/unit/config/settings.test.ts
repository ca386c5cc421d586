import { describe, expect, it } from 'vitest';
import { PROCESS_ENVIRONMENT } from '../../../src/config/setting-sources.js';
import { serviceSettingsFromEnv } from '../../../src/config/service-settings.js';
import { ConfigError } from '../../../src/core/errors.js';
import { configError, ENCRYPTION_LINE, envText, expectProblem, FILE, MASTER_KEY, parse } from './helpers.js';

const KEY = 'KEY_1=sk-settings-1111';

describe('system and service settings', () => {
  it('applies the documented defaults', () => {
    const config = parse(envText(ENCRYPTION_LINE, KEY));
    const { encryptionKey, previousEncryptionKeys, ...system } = config.system;
    expect(previousEncryptionKeys).toEqual([]);
    expect(encryptionKey.reveal()).toBe(MASTER_KEY);
    expect(String(encryptionKey)).not.toBe(MASTER_KEY);
    expect(system).toEqual({
      defaultModel: 'gpt-4-turbo',
      fallbackModel: 'gpt-3.5-turbo',
      dailyQuotaPerKey: 100000,
      maxRetries: 3,
      retryDelayMs: 100,
      circuitBreakerThreshold: 3,
      blockSeconds: 1800,
      maxBlockSeconds: 86400,
      leaseTtlMs: 120000,
      keyMaxConcurrency: null,
      keyProbeAfterMs: 300000,
      providerCooldownMs: 30000,
      noKeyWaitMs: 600000,
      requestTimeoutMs: 60000,
      maxPromptBytes: 1048576,
      jobLockMs: 60000,
      stalledIntervalMs: 30000,
      usageClaimAfterMs: 30000,
      usageBacklogMax: 100000,
      workerConcurrency: 16,
      accountDailyQuota: null,
      accountMonthlyBudget: null,
      timeZone: 'UTC',
      dailyResetCron: '0 0 * * *',
      logRetentionDays: 90,
      pricesFile: undefined,
    });
    expect(config.services).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      redisCluster: false,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/aikeys',
      prefix: '{aikeys}',
      queueName: 'ai-jobs',
      port: 3000,
      host: '127.0.0.1',
      logLevel: 'info',
      adminToken: undefined,
      boardWrite: false,
      trustProxy: ['loopback'],
      gatewayClients: undefined,
      gatewayTimeoutMs: 120_000,
      gatewayTranslate: false,
    });
    expect(config.providers).toEqual({ openai: { name: 'openai', baseUrl: undefined, api: 'openai' } });
  });

  it('returns a deeply frozen config', () => {
    const config = parse(envText(ENCRYPTION_LINE, KEY));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.keys)).toBe(true);
    expect(Object.isFrozen(config.keys[0])).toBe(true);
    expect(Object.isFrozen(config.accounts[0]?.keyNumbers)).toBe(true);
    expect(Object.isFrozen(config.system)).toBe(true);
    expect(Object.isFrozen(config.providers.openai)).toBe(true);
  });

  it('reports a missing encryption key with the gen-key hint', () => {
    const problem = expectProblem(envText(KEY), { name: 'AI_ENCRYPTION_KEY' }, ['sk-settings-1111']);
    expect(problem.message).toContain('Encryption key not configured');
    expect(problem.hint).toBe(`run \`aikeys gen-key\` and add AI_ENCRYPTION_KEY=... to ${FILE}`);
  });

  it('reports an empty encryption key at its line', () => {
    const problem = expectProblem(envText(KEY, 'AI_ENCRYPTION_KEY='), { line: 2, name: 'AI_ENCRYPTION_KEY' });
    expect(problem.message).toContain('Encryption key not configured');
  });

  it.each([
    [Buffer.alloc(16, 1).toString('base64'), 16],
    [Buffer.alloc(33, 2).toString('base64'), 33],
  ])('reports an encryption key of the wrong size by its byte count, never its value', (value, bytes) => {
    const problem = expectProblem(
      envText(KEY, `AI_ENCRYPTION_KEY=${value}`),
      { line: 2, name: 'AI_ENCRYPTION_KEY' },
      [value],
    );
    expect(problem.message).toContain(`decodes to ${bytes} bytes`);
    expect(problem.hint).toContain('aikeys gen-key');
  });

  it('reports an encryption key that is not base64', () => {
    const value = 'not base64 at all!!';
    const problem = expectProblem(envText(KEY, `AI_ENCRYPTION_KEY="${value}"`), { line: 2 }, [value]);
    expect(problem.message).toMatch(/not base64/);
  });

  it.each([
    ['AI_MAX_RETRIES', 'three', /whole number \(0 or more\)/],
    ['AI_RETRY_DELAY_MS', '-1', /whole number \(0 or more\)/],
    ['AI_CIRCUIT_BREAKER_THRESHOLD', '0', /at least 1/],
    ['AI_WORKER_CONCURRENCY', '0', /at least 1/],
    ['AI_KEY_MAX_CONCURRENCY', '2.5', /at least 1/],
    ['AI_ACCOUNT_MONTHLY_BUDGET', 'lots', /USD/],
    ['PORT', '70000', /port number/],
    ['LOG_LEVEL', 'loud', /must be one of/],
    ['REDIS_URL', 'http://127.0.0.1:6379', /redis:\/\//],
    ['DATABASE_URL', 'mysql://x', /postgres:\/\//],
    ['AIKEYS_QUEUE', 'ai:jobs', /":"/],
  ])('rejects %s=%s with a message naming the setting', (name, value, message) => {
    const problem = expectProblem(envText(ENCRYPTION_LINE, KEY, `${name}=${value}`), { line: 3, name });
    expect(problem.message).toMatch(message);
    expect(problem.message).not.toContain(value);
  });

  it('refuses an AI_BLOCK_SECONDS above AI_MAX_BLOCK_SECONDS, naming both', () => {
    const problem = expectProblem(
      envText(ENCRYPTION_LINE, KEY, 'AI_MAX_BLOCK_SECONDS=600', 'AI_BLOCK_SECONDS=601'),
      { line: 4, name: 'AI_BLOCK_SECONDS' },
    );
    expect(problem.message).toMatch(/AI_MAX_BLOCK_SECONDS \(600\)/);
    // The default AI_BLOCK_SECONDS (1800) is checked too, not only a value written in the file.
    expect(
      expectProblem(envText(ENCRYPTION_LINE, KEY, 'AI_MAX_BLOCK_SECONDS=60'), {
        line: 3,
        name: 'AI_MAX_BLOCK_SECONDS',
      }).message,
    ).toContain('AI_MAX_BLOCK_SECONDS');
    expect(parse(envText(ENCRYPTION_LINE, KEY, 'AI_MAX_BLOCK_SECONDS=1800')).system.maxBlockSeconds).toBe(
      1800,
    );
  });

  it('refuses an AI_MAX_BLOCK_SECONDS of 0 or over a year', () => {
    expect(
      expectProblem(envText(ENCRYPTION_LINE, KEY, 'AI_MAX_BLOCK_SECONDS=0'), {
        line: 3,
        name: 'AI_MAX_BLOCK_SECONDS',
      }).message,
    ).toMatch(/at least 1/);
    expect(
      expectProblem(envText(ENCRYPTION_LINE, KEY, 'AI_MAX_BLOCK_SECONDS=31536001'), {
        line: 3,
        name: 'AI_MAX_BLOCK_SECONDS',
      }).message,
    ).toMatch(/at most 31536000/);
  });

  it('suggests the closest name for an unknown AI_ setting', () => {
    const problem = expectProblem(envText(ENCRYPTION_LINE, KEY, 'AI_MAX_RETRIS=5'), {
      line: 3,
      name: 'AI_MAX_RETRIS',
    });
    expect(problem.hint).toBe('did you mean AI_MAX_RETRIES?');
    const far = expectProblem(envText(ENCRYPTION_LINE, KEY, 'AI_SOMETHING_ELSE=5'), { line: 3 });
    expect(far.hint).not.toMatch(/did you mean/);
  });

  it('lets the process environment override settings but not keys', () => {
    const config = parse(envText(ENCRYPTION_LINE, KEY, 'AI_MAX_RETRIES=1', 'REDIS_URL=redis://file:6379'), {
      AI_MAX_RETRIES: '9',
      REDIS_URL: 'redis://env:6379',
      AI_PROVIDER_OPENAI_BASE_URL: 'http://127.0.0.1:6556/v1',
      AI_DEFAULT_MODEL: '',
      KEY_1: 'sk-from-env-9999',
      AI_UNRELATED_TOOL_SETTING: 'x',
    });
    expect(config.system.maxRetries).toBe(9);
    expect(config.system.defaultModel).toBe('gpt-4-turbo');
    expect(config.services.redisUrl).toBe('redis://env:6379');
    expect(config.providers.openai?.baseUrl).toBe('http://127.0.0.1:6556/v1');
    expect(config.keys.map((k) => k.secret.reveal())).toEqual(['sk-settings-1111']);
  });

  it('names the process environment when an override is invalid', () => {
    const problem = expectProblem(
      envText(ENCRYPTION_LINE, KEY),
      { name: 'AI_MAX_RETRIES', file: PROCESS_ENVIRONMENT },
      [],
      {
        AI_MAX_RETRIES: 'many',
      },
    );
    expect(problem.line).toBeUndefined();
  });

  it('builds provider endpoints from keys and AI_PROVIDER_ settings', () => {
    const config = parse(
      envText(
        ENCRYPTION_LINE,
        KEY,
        'KEY_2=sk-ant-2222',
        'KEY_2_PROVIDER=anthropic',
        'AI_PROVIDER_LOCAL_PROXY_BASE_URL=http://127.0.0.1:8080/v1',
        'AI_PROVIDER_LOCAL_PROXY_API=Anthropic',
      ),
    );
    expect(config.providers).toEqual({
      anthropic: { name: 'anthropic', baseUrl: undefined, api: 'anthropic' },
      local_proxy: { name: 'local_proxy', baseUrl: 'http://127.0.0.1:8080/v1', api: 'anthropic' },
      openai: { name: 'openai', baseUrl: undefined, api: 'openai' },
    });
  });

  it.each([
    ['AI_PROVIDER_OPENAI_BASE_URL', 'not a url', /URL/],
    ['AI_PROVIDER_OPENAI_API', 'grpc', /openai, anthropic/],
  ])('rejects %s=%s', (name, value, message) => {
    const problem = expectProblem(envText(ENCRYPTION_LINE, KEY, `${name}=${value}`), { line: 3, name });
    expect(problem.message).toMatch(message);
  });

  it('gives service settings without an env file or keys', () => {
    expect(serviceSettingsFromEnv({ PORT: '0', AIKEYS_PREFIX: '{t}', AI_MAX_RETRIES: 'bad' })).toMatchObject({
      port: 0,
      prefix: '{t}',
      redisUrl: 'redis://127.0.0.1:6379',
    });
    const error = configError(() => serviceSettingsFromEnv({ PORT: 'eighty' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems[0]).toMatchObject({ file: PROCESS_ENVIRONMENT, name: 'PORT' });
  });
});
