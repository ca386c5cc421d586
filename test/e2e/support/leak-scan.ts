/**
 * The leak scan: everything a run leaves where an operator, a log shipper or a backup can read it
 * (process logs, every Redis key and value under the prefix, every job's data, return value and
 * failure reason, the admin server's answers, every plain column of every Postgres table), searched
 * for each configured secret whole and for every 8-character piece of one.
 */
import type { Redis } from 'ioredis';
import type { Db } from '../../../src/store/database.js';
import { dumpRedis, type AiQueue } from './pipeline.js';

/** Columns that hold ciphertext by design; every other column of every table is scanned. */
export const ENCRYPTED_COLUMNS: ReadonlySet<string> = new Set(['ai_api_keys.api_key_encrypted']);

export const PIECE_LENGTH = 8;

export interface Needle {
  /** Which secret and which part of it, never the secret itself (the report must not leak either). */
  readonly label: string;
  readonly text: string;
}

/** Each secret whole and each of its 8-character windows. */
export function needlesOf(secrets: ReadonlyMap<string, string>): Needle[] {
  const needles: Needle[] = [];
  for (const [name, secret] of secrets) {
    needles.push({ label: `${name} (whole)`, text: secret });
    for (let i = 0; i + PIECE_LENGTH <= secret.length; i++)
      needles.push({ label: `${name} [${i}..${i + PIECE_LENGTH})`, text: secret.slice(i, i + PIECE_LENGTH) });
  }
  return needles;
}

/** Where each needle shows up: `place: label`. */
export function scan(places: ReadonlyMap<string, string>, needles: readonly Needle[]): string[] {
  const hits: string[] = [];
  for (const [place, text] of places)
    for (const needle of needles) if (text.includes(needle.text)) hits.push(`${place}: ${needle.label}`);
  return hits;
}

/** Every row of every table in the public schema as JSON, encrypted columns left out. */
export async function dumpPostgres(db: Db): Promise<Map<string, string>> {
  const columns = await db('information_schema.columns')
    .where('table_schema', 'public')
    .orderBy(['table_name', 'ordinal_position'])
    .select<{ table_name: string; column_name: string }[]>('table_name', 'column_name');
  const byTable = new Map<string, string[]>();
  for (const { table_name: table, column_name: column } of columns) {
    if (ENCRYPTED_COLUMNS.has(`${table}.${column}`)) continue;
    byTable.set(table, [...(byTable.get(table) ?? []), column]);
  }
  const out = new Map<string, string>();
  for (const [table, cols] of byTable) {
    const rows = await db(table).select(cols);
    out.set(`postgres ${table}`, JSON.stringify(rows));
  }
  return out;
}

/** Every job in every state: data, return value, failure reason and stack traces. */
export async function dumpJobs(queue: AiQueue): Promise<Map<string, string>> {
  const jobs = await queue.getJobs([
    'completed',
    'failed',
    'active',
    'waiting',
    'delayed',
    'prioritized',
    'waiting-children',
  ]);
  const out = new Map<string, string>();
  for (const job of jobs) {
    out.set(
      `job ${job.id}`,
      JSON.stringify({
        data: job.data,
        returnvalue: job.returnvalue,
        failedReason: job.failedReason,
        stacktrace: job.stacktrace,
      }),
    );
  }
  return out;
}

/** The admin server's read-only answers, each as its body text. */
export async function dumpHttp(
  baseUrl: string,
  token: string,
  paths: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of paths) {
    const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
    out.set(`http ${path}`, await response.text());
  }
  return out;
}

export async function gatherPlaces(sources: {
  logs: ReadonlyMap<string, string>;
  redis: Redis;
  prefix: string;
  queue: AiQueue;
  db: Db;
  http: () => Promise<Map<string, string>>;
}): Promise<Map<string, string>> {
  const redisDump = await dumpRedis(sources.redis, sources.prefix);
  return new Map([
    ...sources.logs,
    ...[...redisDump].map(([key, text]): [string, string] => [`redis ${key}`, text]),
    ...(await dumpJobs(sources.queue)),
    ...(await sources.http()),
    ...(await dumpPostgres(sources.db)),
  ]);
}
