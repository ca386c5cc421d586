/**
 * Operator edits in Postgres reach the running pool within seconds (migrations/011's triggers,
 * runtime/pool-edits.ts): a running system on real Redis, Postgres and BullMQ, edited with plain
 * SQL, then asked to serve jobs. The pool's own writes (releases, a breaker trip, counter flushes)
 * must send no edit notification at all: counted.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedProvider, type SimulatedProvider } from '../../../src/simulator/server.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { KeyRing } from '../../../src/crypto/key-ring.js';
import { importConfig } from '../../../src/store/import-config.js';
import { findKeyByName } from '../../../src/store/keys.js';
import { isolate } from '../../setup/isolation.js';
import { pollUntil } from '../../setup/poll.js';
import { startSystem, type TestSystem } from '../jobs/system.js';

const env = isolate('live-edits');
const first = `sim-ok-first-${randomBytes(6).toString('hex')}`;
const second = `sim-ok-second-${randomBytes(6).toString('hex')}`;
let sim: SimulatedProvider;
let s: TestSystem;
let key1: number;
let account1: number;

const hot = async () => (await s.container.engine.keyStates([key1]))[0]!;
const job = (content: string) =>
  s.producer.run({ messages: [{ role: 'user', content }], maxTokens: 8 }, { timeoutMs: 20_000 });
const edits = () => ({ ...s.replica.live.poolEdits.counts });

beforeAll(async () => {
  sim = await startSimulatedProvider({ port: 0 });
  // Two keys: key_1 alone in the primary account, key_2 in the fallback account.
  s = await startSystem(env, sim.openaiBaseUrl, [
    `KEY_1=${first}`,
    `KEY_2=${second}`,
    'AI_CIRCUIT_BREAKER_THRESHOLD=2',
  ]);
  key1 = await s.keyId('key_1');
  account1 = (await findKeyByName(s.container.db, 'key_1'))!.accountId;
  // The import's own notifications (it is not the pool) are applied before the tests count.
  await s.replica.live.poolEdits.flush();
  await new Promise((r) => setTimeout(r, 100));
  await s.replica.live.poolEdits.flush();
}, 30_000);

afterAll(async () => {
  await s?.close();
  await sim?.close();
  await env.cleanup();
});

describe('operator edits in Postgres', () => {
  it('the pool trips key_1 breaker by itself: its own writes send no edit', async () => {
    const before = edits();
    // Two server errors on key_1 (the primary, leased first), released as a worker would.
    for (let i = 0; i < 2; i++) {
      const answer = await s.container.pool.lease({ provider: 'openai', estimatedTokens: 10 });
      if (!answer.ok) throw new Error('no key');
      expect(answer.key.keyName).toBe('key_1');
      await s.container.pool.release(answer.key.lease, { kind: 'server_error', status: 500 });
    }
    expect(await hot()).toMatchObject({ status: 'disabled', disabledKind: 'breaker' });
    await s.container.pool.flush();
    await pollUntil(
      'breaker in Postgres',
      () => findKeyByName(s.container.db, 'key_1'),
      (k) => k?.status === 'disabled',
    );
    for (let i = 0; i < 5; i++) expect((await job(`own-${i}`)).keyName).toBe('key_2');
    await s.container.pool.flush();
    await new Promise((r) => setTimeout(r, 300));
    expect(edits()).toEqual(before);
  });

  it("UPDATE ai_api_keys SET status='active' re-enables it, breaker counters cleared", async () => {
    expect((await hot()).consecutiveFailures).toBeGreaterThanOrEqual(2);
    const before = edits();
    await s.container.db.raw(`UPDATE ai_api_keys SET status = 'active' WHERE key_id = ?`, [key1]);
    const state = await pollUntil('key_1 active in Redis', hot, (k) => k.status === 'active');
    expect(state).toMatchObject({ consecutiveFailures: 0, disabledKind: null });
    expect((await job('after-enable')).keyName).toBe('key_1');
    expect(edits().notifications).toBe(before.notifications + 1);
    // Postgres says the same as Redis: the edit's trigger cleared the reason and the failures.
    expect(await findKeyByName(s.container.db, 'key_1')).toMatchObject({
      status: 'active',
      consecutiveFailures: 0,
      disabledReason: null,
    });
  });

  it('UPDATE of temporary_block_until into the future blocks the key; status active ends the block', async () => {
    await s.container.db.raw(
      `UPDATE ai_api_keys SET temporary_block_until = now() + interval '1 hour' WHERE key_id = ?`,
      [key1],
    );
    await pollUntil('key_1 blocked in Redis', hot, (k) => k.status === 'temporarily_blocked');
    expect((await findKeyByName(s.container.db, 'key_1'))?.status).toBe('temporarily_blocked');
    expect((await job('while-blocked')).keyName).toBe('key_2');
    await s.container.db.raw(`UPDATE ai_api_keys SET status = 'active' WHERE key_id = ?`, [key1]);
    await pollUntil('key_1 unblocked in Redis', hot, (k) => k.status === 'active');
    expect((await job('after-unblock')).keyName).toBe('key_1');
  });

  it('UPDATE used_today = 0 resets the counter in Redis', async () => {
    expect((await hot()).usedToday).toBeGreaterThan(0);
    await s.container.pool.flush();
    await s.container.db.raw(`UPDATE ai_api_keys SET used_today = 0 WHERE key_id = ?`, [key1]);
    await pollUntil('key_1 used_today 0 in Redis', hot, (k) => k.usedToday === 0);
  });

  it('an account priority change reorders the accounts', async () => {
    await s.container.db.raw(`UPDATE ai_accounts SET priority = 3 WHERE account_id = ?`, [account1]);
    // The next lease after the refresh prefers the account that is now first (key_2's).
    await pollUntil(
      'key_2 preferred',
      async () => (await job(`reorder-${randomBytes(3).toString('hex')}`)).keyName,
      (name) => name === 'key_2',
    );
    expect((await job('reordered')).keyName).toBe('key_2');
    await s.container.db.raw(`UPDATE ai_accounts SET priority = 1 WHERE account_id = ?`, [account1]);
    await pollUntil(
      'key_1 preferred again',
      async () => (await job(`back-${randomBytes(3).toString('hex')}`)).keyName,
      (name) => name === 'key_1',
    );
  });

  it('a dropped LISTEN connection reconnects and merges what it missed', async () => {
    const listener = s.replica.live.listener;
    const connects = listener.connects;
    const heard = edits().notifications;
    const db = s.container.db;
    // The edit lands while the connection is gone: its notification is lost, the reconnect's merge applies it.
    await db.transaction(async (trx) => {
      await trx.raw(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
      );
      await trx.raw(`UPDATE ai_api_keys SET status = 'disabled' WHERE key_id = ?`, [key1]);
    });
    await pollUntil(
      'reconnected',
      async () => listener.connects,
      (n) => n === connects + 1,
    );
    await pollUntil('key_1 disabled in Redis', hot, (k) => k.status === 'disabled');
    expect(edits().notifications).toBe(heard); // the merge did it, not a notification
    await db.raw(`UPDATE ai_api_keys SET status = 'active' WHERE key_id = ?`, [key1]);
    await pollUntil('key_1 active again', hot, (k) => k.status === 'active');
  });

  it('an import by another process (`aikeys import`, compose migrate) reaches the running pool', async () => {
    appendFileSync(s.file, `\nKEY_3=sim-ok-third-${randomBytes(6).toString('hex')}\n`);
    const config = loadConfig({ file: s.file, env: s.fileEnv });
    // No hydrate here, as the CLI does none: the rows' triggers tell the replicas.
    const report = await importConfig(s.container.db, config, {
      ring: KeyRing.fromSecrets(config.system.encryptionKey),
    });
    expect(report.added.map((k) => k.name)).toEqual(['key_3']);
    const key3 = await s.keyId('key_3');
    const [state] = await pollUntil(
      'key_3 in Redis',
      () => s.container.engine.keyStates([key3]),
      (states) => states.length === 1,
    );
    expect(state).toMatchObject({ status: 'active' });
  });

  it('no rehydration loop: jobs and counter flushes after the edits send nothing', async () => {
    await s.replica.live.poolEdits.flush();
    const before = edits();
    for (let i = 0; i < 8; i++) await job(`quiet-${i}`);
    await s.container.pool.flush();
    await new Promise((r) => setTimeout(r, 1500)); // past the counter write-behind (1 s)
    expect(edits()).toEqual(before);
    expect(before.refused).toBe(0);
  });
});
