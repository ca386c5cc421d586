/**
 * A child process for the multi-process lease tests: reads its job from stdin (JSON), waits at a
 * start barrier, runs `callers` concurrent lease/release loops through a KeyPool, and writes every
 * grant and release it saw to `out` (JSON), so the parent can replay the exact order of events.
 * With `hold: true` it takes one lease, prints it, and waits to be killed (the crash test).
 */
import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { Secret } from '../../../src/core/secret.js';
import { KeyRing } from '../../../src/crypto/key-ring.js';
import { LeaseEngine } from '../../../src/lease/engine.js';
import { createKeyPool } from '../../../src/lease/key-pool.js';
import type { ReleaseOutcome } from '../../../src/lease/outcome.js';
import type { LeaseSettings } from '../../../src/lease/types.js';
import { createDb } from '../../../src/store/database.js';
import { loadKeyStateSnapshot } from '../../../src/store/lease-snapshot.js';

export interface WorkerJob {
  redisUrl: string;
  databaseUrl: string;
  prefix: string;
  masterKey: string;
  settings: LeaseSettings;
  callers: number;
  rounds: number;
  out: string;
  /** Fixed clock (epoch ms); 0 = Redis time. */
  clockMs?: number;
  hold?: boolean;
  models?: string[];
  /** After this long the child reports where each caller is and exits 3 (default 90 s). */
  watchdogMs?: number;
}

export interface GrantEvent {
  t: 'grant';
  leaseId: string;
  keyId: number;
  seq: number;
  inflight: number;
  committed: number;
  estimate: number;
  model: string;
}
export interface ReleaseEvent {
  t: 'release';
  leaseId: string;
  keyId: number;
  seq: number;
  released: boolean;
  reason?: string;
  /** Tokens counted by a released success. */
  tokens: number;
}
export type WorkerEvent = GrantEvent | ReleaseEvent | { t: 'no_key'; reason: string };

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function randomOutcome(estimate: number): ReleaseOutcome {
  const r = Math.random();
  if (r < 0.8) return { kind: 'success', tokens: 1 + Math.floor(Math.random() * estimate), costUsd: 0.0001 };
  if (r < 0.9) return { kind: 'request_error', status: 400 };
  if (r < 0.95) return { kind: 'server_error', status: 500 };
  return { kind: 'rate_limited', retryAfterMs: 2 };
}

async function main(): Promise<void> {
  const job = JSON.parse(await readStdin()) as WorkerJob;
  const redis = new Redis(job.redisUrl, { maxRetriesPerRequest: 3 });
  const db = createDb(job.databaseUrl, { poolMax: 4 });
  const engine = new LeaseEngine({
    redis,
    prefix: job.prefix,
    settings: job.settings,
    loadSnapshot: () => loadKeyStateSnapshot(db),
    ...(job.clockMs ? { clock: () => job.clockMs! } : {}),
  });
  const pool = createKeyPool({
    db,
    engine,
    ring: KeyRing.fromSecrets(new Secret(job.masterKey)),
    counterFlushMs: 50,
  });

  if (job.hold) {
    const picked = await pool.lease({ provider: 'openai', estimatedTokens: 100 });
    if (!picked.ok) throw new Error('no key to hold');
    process.stdout.write(`${JSON.stringify(picked.key.lease)}\n`);
    setInterval(() => undefined, 60_000);
    return;
  }

  // A hang must end as a failure that says where it is, before the parent's test timeout.
  const progress = {
    phase: 'barrier',
    rounds: new Array<number>(job.callers).fill(0),
    at: new Array<string>(job.callers).fill(''),
  };
  setTimeout(() => {
    console.error(`lease worker ${process.pid} watchdog: ${JSON.stringify(progress)}`);
    process.exit(3);
  }, job.watchdogMs ?? 90_000).unref();

  const barrier = new Redis(job.redisUrl);
  await redis.rpush(`${job.prefix}:test:ready`, String(process.pid));
  await barrier.blpop(`${job.prefix}:test:go`, 0);
  barrier.disconnect();
  progress.phase = 'rounds';

  const events: WorkerEvent[] = [];
  const models = job.models ?? [undefined as unknown as string];
  async function caller(_: unknown, index: number): Promise<void> {
    for (let round = 0; round < job.rounds; round++) {
      progress.rounds[index] = round;
      progress.at[index] = 'lease';
      const estimate = 50 + Math.floor(Math.random() * 150);
      const model = models[Math.floor(Math.random() * models.length)];
      const picked = await pool.lease({ provider: 'openai', model, estimatedTokens: estimate });
      if (!picked.ok) {
        events.push({ t: 'no_key', reason: picked.reason });
        await new Promise((resolve) => setTimeout(resolve, 2));
        continue;
      }
      const { lease } = picked.key;
      events.push({
        t: 'grant',
        leaseId: lease.leaseId,
        keyId: lease.keyId,
        seq: lease.seq,
        inflight: lease.inflight,
        committed: lease.committedTokens,
        estimate,
        model: lease.model,
      });
      if (Math.random() < 0.5) await new Promise((resolve) => setImmediate(resolve));
      progress.at[index] = 'release';
      const outcome = randomOutcome(estimate);
      const r = await pool.release(lease, outcome);
      events.push(
        r.released
          ? {
              t: 'release',
              leaseId: lease.leaseId,
              keyId: lease.keyId,
              seq: r.seq,
              released: true,
              tokens: outcome.kind === 'success' ? outcome.tokens : 0,
            }
          : {
              t: 'release',
              leaseId: lease.leaseId,
              keyId: lease.keyId,
              seq: -1,
              released: false,
              reason: r.reason,
              tokens: 0,
            },
      );
    }
  }
  await Promise.all(Array.from({ length: job.callers }, caller));
  progress.phase = 'close';
  await pool.close();
  writeFileSync(job.out, JSON.stringify(events));
  redis.disconnect();
  progress.phase = 'db.destroy';
  await db.destroy();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
