/**
 * What the pipeline tests share: unique prompts, waiting for a queue to settle (polling the job
 * counts, with the workers' state in the failure message), reading the usage rows, and dumping
 * every Redis value under a prefix for the no-secret check.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { AiJobData, AiJobResult } from '../../../src/jobs/job-schema.js';
import type { Db } from '../../../src/store/database.js';
import type { WorkerProcess } from './worker-process.js';

export function uniquePrompts(count: number, tag = randomBytes(4).toString('hex')): string[] {
  return Array.from({ length: count }, (_, i) => `Job ${i} of run ${tag}: say back this line, please.`);
}

export function jobsFor(prompts: readonly string[], maxTokens = 32): AiJobData[] {
  return prompts.map((content) => ({ messages: [{ role: 'user' as const, content }], maxTokens }));
}

export type AiQueue = Queue<AiJobData, AiJobResult>;

/** A connection and a queue handle for the test to add and inspect jobs; finished jobs are kept. */
export function openTestQueue(
  redisUrl: string,
  queueName: string,
  prefix: string,
): { redis: Redis; queue: AiQueue } {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue: AiQueue = new Queue<AiJobData, AiJobResult>(queueName, {
    connection: redis,
    prefix,
    defaultJobOptions: { removeOnComplete: false, removeOnFail: false },
  });
  return { redis, queue };
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Workers that must stay alive while we wait (a crash ends the wait with its output). */
  readonly workers?: readonly WorkerProcess[];
  /** Resolve as soon as this many jobs completed (default: all `total`). */
  readonly atLeast?: number;
}

/** Polls until `total` jobs completed; a failed job, a dead worker or the deadline ends it with a reason. */
export async function waitForCompleted(queue: AiQueue, total: number, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const target = options.atLeast ?? total;
  for (;;) {
    const counts = await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed');
    if ((counts.failed ?? 0) > 0) {
      const [failed] = await queue.getFailed(0, 0);
      throw new Error(
        `a job failed: ${failed?.id} ${failed?.failedReason}; counts ${JSON.stringify(counts)}`,
      );
    }
    if ((counts.completed ?? 0) >= target) return;
    const dead = options.workers?.find((w) => w.hasExited());
    if (dead)
      throw new Error(`worker ${dead.pid} exited while jobs were pending:\n${dead.output().slice(-4000)}`);
    if (Date.now() > deadline)
      throw new Error(`gave up waiting for ${target} completed jobs: ${JSON.stringify(counts)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface LogRow {
  log_id: number;
  key_id: number;
  key_name: string;
  account_id: number;
  tokens_used: number;
  response_status: number;
  error_message: string | null;
  job_id: string;
  job_run: number;
  attempt: number;
  at: number;
}

export async function requestLogs(db: Db): Promise<LogRow[]> {
  const rows = await db('ai_request_logs as l')
    .join('ai_api_keys as k', 'k.key_id', 'l.key_id')
    .select(
      'l.log_id',
      'l.key_id',
      'k.key_name',
      'l.account_id',
      'l.tokens_used',
      'l.response_status',
      'l.error_message',
      'l.job_id',
      'l.job_run',
      'l.attempt',
      db.raw('(extract(epoch from l.created_at) * 1000)::float8 as at'),
    )
    .orderBy('l.log_id');
  return (rows as LogRow[]).map((r) => ({ ...r, at: Math.round(Number(r.at)) }));
}

export async function sumUsedToday(db: Db): Promise<number> {
  const [row] = (await db('ai_api_keys').sum({ total: 'used_today' })) as { total: number | string | null }[];
  return Number(row?.total ?? 0);
}

export interface KeyRow {
  key_id: number;
  key_name: string;
  status: string;
  disabled_reason: string | null;
  used_today: number;
  daily_limit: number;
}

export async function keyRows(db: Db): Promise<Map<string, KeyRow>> {
  const rows = (await db('ai_api_keys').select(
    'key_id',
    'key_name',
    'status',
    'disabled_reason',
    'used_today',
    'daily_limit',
  )) as KeyRow[];
  return new Map(
    rows.map((r) => [
      r.key_name,
      { ...r, used_today: Number(r.used_today), daily_limit: Number(r.daily_limit) },
    ]),
  );
}

/** Every key under the prefix with its value rendered as text, whatever its type. */
export async function dumpRedis(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const pattern = `${prefix.replace(/[[\]*?\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let value: unknown;
      if (type === 'string') value = await redis.get(key);
      else if (type === 'hash') value = await redis.hgetall(key);
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else if (type === 'set') value = await redis.smembers(key);
      else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'stream') value = await redis.xrange(key, '-', '+');
      else if (type === 'none') continue;
      else value = `<${type}>`;
      out.set(key, `${key} ${JSON.stringify(value)}`);
    }
  } while (cursor !== '0');
  return out;
}

/** Names of the places (job ids, Redis keys, "worker N output") where any of the secrets shows up. */
export function findSecrets(places: ReadonlyMap<string, string>, secrets: readonly string[]): string[] {
  const found: string[] = [];
  for (const [place, text] of places) {
    for (const [i, secret] of secrets.entries())
      if (text.includes(secret)) found.push(`${place} (secret #${i})`);
  }
  return found;
}
