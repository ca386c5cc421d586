import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { AikeysError } from '../core/errors.js';
import { DirectoryMigrationSource } from './migration-source.js';

// BIGINT and NUMERIC come back as strings by default; our counters fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number.parseFloat(v));

export type Db = Knex;

export function createDb(databaseUrl: string, options: { poolMax?: number } = {}): Db {
  return knexFactory({
    client: 'pg',
    connection: databaseUrl,
    pool: { min: 0, max: options.poolMax ?? 10 },
  });
}

function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!name)
    throw new AikeysError('DATABASE_URL_INVALID', `DATABASE_URL names no database: add one, e.g. /aikeys`);
  return name;
}

/** Creates the database named in `databaseUrl` when it does not exist yet (connecting to `postgres`). */
export async function ensureDatabase(databaseUrl: string): Promise<{ created: boolean }> {
  const name = databaseName(databaseUrl);
  const adminUrl = new URL(databaseUrl);
  adminUrl.pathname = '/postgres';
  const client = new pg.Client({ connectionString: adminUrl.toString() });
  try {
    await client.connect();
  } catch (cause) {
    throw new AikeysError(
      'DATABASE_UNREACHABLE',
      `Cannot connect to PostgreSQL at ${adminUrl.host}: ${(cause as Error).message}. Is it running, and is DATABASE_URL right?`,
      { retryable: true, cause },
    );
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return { created: false };
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    } catch (cause) {
      // Another replica created it between our check and our CREATE.
      if ((cause as { code?: string }).code === '42P04') return { created: false };
      throw cause;
    }
    return { created: true };
  } finally {
    await client.end();
  }
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource: new DirectoryMigrationSource() })) as [
    number,
    string[],
  ];
  return applied;
}

/** Ensure the database exists, connect, and bring the schema up to date. */
export async function openDatabase(databaseUrl: string, options: { poolMax?: number } = {}): Promise<Db> {
  await ensureDatabase(databaseUrl);
  const db = createDb(databaseUrl, options);
  await migrateLatest(db);
  return db;
}

/** Drops a database (closing its connections). Used by the demo to start from nothing. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const name = databaseName(databaseUrl);
  const adminUrl = new URL(databaseUrl);
  adminUrl.pathname = '/postgres';
  const client = new pg.Client({ connectionString: adminUrl.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
