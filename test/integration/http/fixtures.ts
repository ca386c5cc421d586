/**
 * Shared setup for the admin server tests: an isolated database with accounts, keys in every state
 * and request logs; a real BullMQ queue on the test's Redis prefix; a hand-built config; and a small
 * in-memory KeyActions that records its calls (a fake of our own interface, not of a service).
 */
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { declaredDefaults } from '../../../src/config/settings-schema.js';
import type { AikeysConfig } from '../../../src/config/types.js';
import { silentLogger } from '../../../src/core/logger.js';
import { Secret } from '../../../src/core/secret.js';
import { seal } from '../../../src/crypto/envelope.js';
import { hashSecret } from '../../../src/crypto/hash.js';
import { decodeMasterKey, generateMasterKey } from '../../../src/crypto/key-ring.js';
import { buildAdminApp, type AdminAppDeps } from '../../../src/http/app.js';
import {
  DEFAULT_DISABLE_REASON,
  findKeyOrFail,
  type BlockOptions,
  type DisableOptions,
  type KeyActions,
} from '../../../src/lease/key-actions.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import type { KeyView } from '../../../src/store/keys.js';
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

/** Settings at their declared defaults, so the config stays complete as settings are added. */
const DEFAULTS = declaredDefaults();

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
    system: { ...DEFAULTS.system, encryptionKey: masterKey, previousEncryptionKeys: [] },
    services: {
      ...DEFAULTS.services,
      redisUrl: `redis://:${REDIS_PASSWORD}@127.0.0.1:6379`,
      databaseUrl: `postgres://postgres:${DB_PASSWORD}@127.0.0.1:5432/aikeys`,
      prefix: env.prefix,
      queueName: env.queueName,
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
  options: Partial<Pick<AdminAppDeps, 'adminToken' | 'actions' | 'config' | 'logger'>> = {},
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
  | { action: 'disable'; name: string; options: DisableOptions }
  | { action: 'resetDaily' };

/**
 * Records calls and applies the obvious change to Postgres, so routes can show the after-state. It
 * finds keys as the real actions do (an unknown name is KEY_NOT_FOUND, before anything is recorded).
 */
export class RecordingActions implements KeyActions {
  readonly calls: RecordedCall[] = [];
  constructor(private readonly db: Db) {}

  async #apply(name: string, call: RecordedCall, change: Record<string, unknown>): Promise<KeyView> {
    await findKeyOrFail(this.db, name);
    this.calls.push(call);
    await this.db('ai_api_keys').where({ key_name: name }).update(change);
    return findKeyOrFail(this.db, name);
  }

  block(name: string, options: BlockOptions = {}): Promise<KeyView> {
    const until = new Date(Date.now() + (options.seconds ?? 1800) * 1000);
    return this.#apply(
      name,
      { action: 'block', name, options },
      { status: 'temporarily_blocked', temporary_block_until: until },
    );
  }
  unblock(name: string): Promise<KeyView> {
    return this.#apply(name, { action: 'unblock', name }, { status: 'active', temporary_block_until: null });
  }
  disable(name: string, options: DisableOptions = {}): Promise<KeyView> {
    return this.#apply(
      name,
      { action: 'disable', name, options },
      {
        status: 'disabled',
        disabled_reason: options.reason ?? DEFAULT_DISABLE_REASON,
        disabled_kind: 'manual',
      },
    );
  }
  enable(name: string): Promise<KeyView> {
    return this.#apply(
      name,
      { action: 'enable', name },
      { status: 'active', disabled_reason: null, disabled_kind: null, consecutive_failures: 0 },
    );
  }
  async resetDaily(): Promise<{ keysReset: number }> {
    this.calls.push({ action: 'resetDaily' });
    const keysReset = await this.db('ai_api_keys').update({ used_today: 0 });
    return { keysReset };
  }
}

/** A token of the length the config requires; the same in every admin HTTP test file is fine. */
export const ADMIN_TOKEN = 'admin-token-TOKENSECRET-7f3a9c-0123456789';

/** Signs in through the form as a same-origin browser would; the `name=value` of the session cookie. */
export async function signIn(
  app: FastifyInstance,
  token: string,
  remoteAddress = '127.0.0.1',
): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/sign-in',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    payload: new URLSearchParams({ token }).toString(),
  });
  if (res.statusCode !== 303)
    throw new Error(`sign-in answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
  const cookie = res.cookies.find((c) => c.name === 'aikeys_session');
  if (!cookie) throw new Error('sign-in set no aikeys_session cookie');
  return `aikeys_session=${cookie.value}`;
}
