/**
 * Lease-engine fixtures: accounts and keys inserted straight into an isolated database (the import
 * is another module's subject), secrets sealed with a fresh master key, and an engine on its own
 * Redis connection under the test's prefix.
 */
import { Redis } from 'ioredis';
import { Secret } from '../../../src/core/secret.js';
import { seal } from '../../../src/crypto/envelope.js';
import { hashSecret } from '../../../src/crypto/hash.js';
import { generateMasterKey, KeyRing } from '../../../src/crypto/key-ring.js';
import { LeaseEngine } from '../../../src/lease/engine.js';
import type { LeaseSettings } from '../../../src/lease/types.js';
import type { Db } from '../../../src/store/database.js';
import { loadKeyStateSnapshot } from '../../../src/store/lease-snapshot.js';

export const TEST_SETTINGS: LeaseSettings = {
  leaseTtlMs: 120_000,
  circuitBreakerThreshold: 3,
  blockSeconds: 1800,
  maxBlockSeconds: 86_400,
  keyProbeAfterMs: 300_000,
  providerCooldownMs: 30_000,
  fallbackModel: 'gpt-3.5-turbo',
  keyMaxConcurrency: null,
};

export interface KeySpec {
  /** Default: 1 (primary). */
  priority?: number;
  provider?: string;
  model?: string;
  dailyLimit?: number;
  maxConcurrency?: number | null;
  usedToday?: number;
  status?: string;
  disabledKind?: string | null;
  blockUntil?: Date | null;
  /**
   * Default true: the key has a last use on record (and no failures), so hydration counts it as
   * proven and its cap applies at once. false: a key never used, which the slow start holds to one
   * call in flight until one succeeds.
   */
  proven?: boolean;
}

/** The last use seeded keys have on record (long before any test clock). */
export const SEEDED_LAST_USE = new Date('2025-01-01T00:00:00Z');

export interface AccountSpec {
  dailyQuota?: number | null;
  monthlyBudget?: number | null;
}

export interface Seeded {
  readonly ring: KeyRing;
  /** Key ids in the order of the specs. */
  readonly keyIds: number[];
  /** The plaintext secret of each key, by key id (to check decryption). */
  readonly secrets: Map<number, string>;
  readonly accountIds: Map<string, number>;
}

/** The next `count` values of ai_api_keys.key_id's sequence, for rows whose envelopes are bound to them. */
export async function reserveKeyIds(db: Db, count: number): Promise<number[]> {
  if (count === 0) return [];
  const { rows } = (await db.raw(
    `SELECT nextval(pg_get_serial_sequence('ai_api_keys', 'key_id'))::int AS id FROM generate_series(1, ?)`,
    [count],
  )) as { rows: { id: number }[] };
  return rows.map((r) => r.id);
}

/** Inserts accounts (one per provider and priority) and keys. */
export async function seedKeys(
  db: Db,
  specs: readonly KeySpec[],
  accounts: Readonly<Record<string, AccountSpec>> = {},
  ring: KeyRing = KeyRing.fromSecrets(generateMasterKey()),
): Promise<Seeded> {
  const accountIds = new Map<string, number>();
  const keyIds: number[] = [];
  const secrets = new Map<number, string>();
  let n = (await db('ai_api_keys').max<{ max: number | null }>('key_number as max').first())?.max ?? 0;
  const rows = [];
  // Envelopes are bound to their key id, so the ids are taken from the sequence before the insert.
  const reserved = await reserveKeyIds(db, specs.length);
  for (const spec of specs) {
    const provider = spec.provider ?? 'openai';
    const priority = spec.priority ?? 1;
    const ref = `${provider}:${priority}`;
    if (!accountIds.has(ref)) {
      const existing = await db('ai_accounts')
        .where({ provider_name: provider, priority })
        .first<{ account_id: number }>();
      const a = accounts[ref] ?? {};
      const id =
        existing?.account_id ??
        (
          await db('ai_accounts')
            .insert({
              account_name: priority === 1 ? 'Primary Account' : 'Secondary Account (Fallback)',
              provider_name: provider,
              priority,
              daily_quota: a.dailyQuota ?? null,
              monthly_budget: a.monthlyBudget ?? null,
            })
            .returning<{ account_id: number }[]>('account_id')
        )[0]!.account_id;
      accountIds.set(ref, id);
    }
    n += 1;
    const plain = `sk-test-${n}-${Math.random().toString(36).slice(2)}`;
    const keyId: number = reserved[rows.length]!;
    const accountId = accountIds.get(ref)!;
    rows.push({
      plain,
      row: {
        key_id: keyId,
        account_id: accountId,
        api_key_hash: hashSecret(new Secret(plain)),
        api_key_encrypted: seal(new Secret(plain), ring.primary, { keyId, provider, accountId }),
        key_name: `key_${n}`,
        key_number: n,
        model_name: spec.model ?? 'gpt-4-turbo',
        daily_limit: spec.dailyLimit ?? 100_000,
        used_today: spec.usedToday ?? 0,
        max_concurrency: spec.maxConcurrency ?? null,
        status: spec.status ?? 'active',
        disabled_kind: spec.disabledKind ?? null,
        temporary_block_until: spec.blockUntil ?? null,
        last_used_at: spec.proven === false ? null : SEEDED_LAST_USE,
      },
    });
  }
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    const ids = await db('ai_api_keys')
      .insert(chunk.map((c) => c.row))
      .returning<{ key_id: number }[]>('key_id');
    ids.forEach((r, j) => {
      keyIds.push(r.key_id);
      secrets.set(r.key_id, chunk[j]!.plain);
    });
  }
  return { ring, keyIds, secrets, accountIds };
}

export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 3, enableAutoPipelining: false });
}

/** A fixed, movable clock for tests where time is the subject. */
export class TestClock {
  constructor(public nowMs = 1_760_000_000_000) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export function createEngine(
  redis: Redis,
  db: Db,
  prefix: string,
  options: { settings?: Partial<LeaseSettings>; clock?: () => number } = {},
): LeaseEngine {
  return new LeaseEngine({
    redis,
    prefix,
    settings: { ...TEST_SETTINGS, ...options.settings },
    loadSnapshot: () => loadKeyStateSnapshot(db),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
