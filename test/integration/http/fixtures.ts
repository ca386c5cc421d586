/**
 * Shared setup for the admin server tests: an isolated database with accounts, keys in every state
 * and request logs; a real BullMQ queue on the test's Redis prefix; a hand-built config; and a small
 * in-memory KeyActions that records its calls (a fake of our own interface, not of a service).
 */
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { AikeysConfig } from '../../../src/config/types.js';
import { silentLogger } from '../../../src/core/logger.js';
import { Secret } from '../../../src/core/secret.js';
import { seal } from '../../../src/crypto/envelope.js';
import { hashSecret } from '../../../src/crypto/hash.js';
import { decodeMasterKey, generateMasterKey } from '../../../src/crypto/key-ring.js';
import { buildAdminApp, type BlockOptions, type KeyActions } from '../../../src/http/app.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import type { Isolated } from '../../setup/isolation.js';
import { reserveKeyIds } from '../lease/fixtures.js';

/** Recognisable fragments: no response may ever contain any of them. */
export const SECRET_FRAGMENT = 'FAKESECRETxyz';
export const API_SECRETS = [1, 2, 3, 4].map((n) => `sk-test-${SECRET_FRAGMENT}-${n}-0123456789abcdef`);
export const DB_PASSWORD = 'dbPassw0rdSECRET';
export const REDIS_PASSWORD = 'redisPassw0rdSECRET';

export interface Fixture {
  readonly db: Db;
  readonly queue: Queue;
  readonly config: AikeysConfig;
  readonly masterKey: Secret;
  /** Every envelope stored in api_key_encrypted. */
  readonly envelopes: readonly string[];
  close(): Promise<void>;
}

export function makeConfig(env: Isolated, masterKey: Secret): AikeysConfig {
  return {
    file: '/srv/aikeys/config/.env.local',
    keys: [],
    accounts: [],
    providers: {
      openai: {
        name: 'openai',
        baseUrl: 'http://user:provPass@127.0.0.1:6556/v1?api_key=qsSECRET',
        api: 'openai',
      },
      anthropic: { name: 'anthropic', baseUrl: undefined, api: 'anthropic' },
    },
    system: {
      encryptionKey: masterKey,
      previousEncryptionKeys: [],
      defaultModel: 'gpt-4-turbo',
      fallbackModel: 'gpt-3.5-turbo',
      dailyQuotaPerKey: 100000,
      maxRetries: 3,
      retryDelayMs: 100,
      circuitBreakerThreshold: 3,
      blockSeconds: 1800,
      leaseTtlMs: 120000,
      keyMaxConcurrency: null,
      keyProbeAfterMs: 300000,
      providerCooldownMs: 30000,
      noKeyWaitMs: 600000,
      requestTimeoutMs: 60000,
      jobLockMs: 60000,
      stalledIntervalMs: 30000,
      usageClaimAfterMs: 30000,
      usageBacklogMax: 100000,
      workerConcurrency: 16,
      accountDailyQuota: null,
      accountMonthlyBudget: null,
      pricesFile: undefined,
    },
    services: {
      redisUrl: `redis://:${REDIS_PASSWORD}@127.0.0.1:6379`,
      databaseUrl: `postgres://postgres:${DB_PASSWORD}@127.0.0.1:5432/aikeys`,
      prefix: env.prefix,
      queueName: env.queueName,
      port: 3000,
      host: '127.0.0.1',
      logLevel: 'info',
      adminToken: undefined,
    },
    legacy: [],
  };
}

async function seed(db: Db, masterKey: Secret): Promise<string[]> {
  const key = decodeMasterKey(masterKey);
  const [primary] = await db('ai_accounts')
    .insert({ account_name: 'Primary Account', provider_name: 'openai', priority: 1, daily_quota: 200000 })
    .returning<{ account_id: number }[]>('account_id');
  const [fallback] = await db('ai_accounts')
    .insert({
      account_name: 'Secondary Account (Fallback)',
      provider_name: 'openai',
      priority: 2,
      daily_quota: null,
    })
    .returning<{ account_id: number }[]>('account_id');
  const states = [
    { account: primary!.account_id, status: 'active', used_today: 1500 },
    {
      account: primary!.account_id,
      status: 'temporarily_blocked',
      used_today: 10,
      temporary_block_until: new Date(Date.now() + 3600_000),
    },
    { account: fallback!.account_id, status: 'exhausted', used_today: 100000 },
    {
      account: fallback!.account_id,
      status: 'disabled',
      used_today: 0,
      consecutive_failures: 3,
      disabled_reason: '3 consecutive failures',
      disabled_kind: 'breaker',
    },
  ];
  const envelopes: string[] = [];
  for (const [i, s] of states.entries()) {
    const secret = new Secret(API_SECRETS[i]!);
    const { account, ...rest } = s;
    const [keyId] = await reserveKeyIds(db, 1);
    const envelope = seal(secret, key, { keyId: keyId!, provider: 'openai', accountId: account });
    envelopes.push(envelope);
    await db('ai_api_keys').insert({
      ...rest,
      key_id: keyId,
      account_id: account,
      api_key_hash: hashSecret(secret),
      api_key_encrypted: envelope,
      key_name: `key_${i + 1}`,
      key_number: i + 1,
      model_name: 'gpt-4o-mini',
      daily_limit: 100000,
    });
  }
  const keyIds = await db('ai_api_keys').orderBy('key_number').pluck<number[]>('key_id');
  const log = (
    keyIdx: number,
    account: number,
    tokens: number,
    status: number,
    hoursAgo: number,
    error?: string,
  ) => ({
    key_id: keyIds[keyIdx],
    account_id: account,
    provider: 'openai',
    model: 'gpt-4o-mini',
    tokens_used: tokens,
    estimated_cost: tokens / 1_000_000,
    response_status: status,
    error_message: error ?? null,
    created_at: db.raw(`now() - make_interval(hours => ?)`, [hoursAgo]),
  });
  await db('ai_request_logs').insert([
    log(0, primary!.account_id, 1000, 200, 0),
    log(0, primary!.account_id, 500, 200, 2),
    log(1, primary!.account_id, 0, 429, 2, 'rate limited'),
    // Outside a 24-hour window.
    log(0, primary!.account_id, 7777, 200, 48),
  ]);
  return envelopes;
}

export async function setUp(env: Isolated): Promise<Fixture> {
  const db = await openDatabase(env.databaseUrl, { poolMax: 4 });
  const masterKey = generateMasterKey();
  const envelopes = await seed(db, masterKey);
  const queue = new Queue(env.queueName, {
    connection: { host: new URL(env.redisUrl).hostname, port: Number(new URL(env.redisUrl).port || 6379) },
    prefix: env.prefix,
  });
  return {
    db,
    queue,
    config: makeConfig(env, masterKey),
    masterKey,
    envelopes,
    async close() {
      await queue.close();
      await db.destroy();
    },
  };
}

export function buildApp(
  f: Fixture,
  options: { adminToken?: string; actions?: KeyActions } = {},
): Promise<FastifyInstance> {
  return buildAdminApp({
    db: f.db,
    config: f.config,
    queues: [f.queue],
    logger: silentLogger,
    ...options,
  });
}

export type RecordedCall =
  | { action: 'block'; name: string; options: BlockOptions }
  | { action: 'unblock' | 'enable'; name: string }
  | { action: 'disable'; name: string; reason: string }
  | { action: 'resetDaily' };

/** Records calls and applies the obvious change to Postgres, so routes can show the after-state. */
export class RecordingActions implements KeyActions {
  readonly calls: RecordedCall[] = [];
  constructor(private readonly db: Db) {}

  async block(name: string, options: BlockOptions): Promise<void> {
    this.calls.push({ action: 'block', name, options });
    const until = new Date(Date.now() + (options.seconds ?? 1800) * 1000);
    await this.db('ai_api_keys')
      .where({ key_name: name })
      .update({ status: 'temporarily_blocked', temporary_block_until: until });
  }
  async unblock(name: string): Promise<void> {
    this.calls.push({ action: 'unblock', name });
    await this.db('ai_api_keys')
      .where({ key_name: name })
      .update({ status: 'active', temporary_block_until: null });
  }
  async disable(name: string, reason: string): Promise<void> {
    this.calls.push({ action: 'disable', name, reason });
    await this.db('ai_api_keys')
      .where({ key_name: name })
      .update({ status: 'disabled', disabled_reason: reason, disabled_kind: 'manual' });
  }
  async enable(name: string): Promise<void> {
    this.calls.push({ action: 'enable', name });
    await this.db('ai_api_keys')
      .where({ key_name: name })
      .update({ status: 'active', disabled_reason: null, disabled_kind: null, consecutive_failures: 0 });
  }
  async resetDaily(): Promise<{ keysReset: number }> {
    this.calls.push({ action: 'resetDaily' });
    const keysReset = await this.db('ai_api_keys').update({ used_today: 0 });
    return { keysReset };
  }
}
