/**
 * `ai_config_status` (migrations/010): what the last import of the env file did, the last error a
 * broken file gave, the settings that need a restart, and the reloadable settings every replica
 * takes (published with a NOTIFY on CONFIG_CHANNEL). One row: one deployment, one env file.
 */
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Db } from './database.js';

/** Sent (no payload) when the published settings change; replicas then read the row. */
export const CONFIG_CHANNEL = 'aikeys_config';

const ROW_ID = 1;
/** Longest error message kept: ConfigError lists every problem, and a file can have many. */
const MAX_MESSAGE_LENGTH = 2000;

export interface ImportCounts {
  readonly added: number;
  readonly changed: number;
  readonly disabled: number;
  readonly unchanged: number;
}

export interface ConfigImportError {
  readonly at: string;
  readonly file: string;
  readonly line: number | null;
  readonly message: string;
}

/** `/api/health`'s and `aikeys health`'s `config` field. */
export interface ConfigStatus {
  readonly file: string;
  readonly last_import_at: string | null;
  readonly last_import: ImportCounts | null;
  readonly last_error: ConfigImportError | null;
  readonly restart_needed: string[];
}

export interface ImportRecord {
  readonly file: string;
  readonly counts: ImportCounts;
  /** Reloadable settings as text (config/published-settings.ts), or null to leave those published as they are. */
  readonly settings: Readonly<Record<string, string | null>> | null;
  readonly restartNeeded: readonly string[];
}

/** A good import, in the import's own transaction: clears last_error and tells every replica. */
export async function recordImport(trx: Knex.Transaction, record: ImportRecord): Promise<void> {
  const row = {
    id: ROW_ID,
    file: record.file,
    last_import_at: trx.fn.now(),
    last_import: JSON.stringify(record.counts),
    last_error: null,
    restart_needed: JSON.stringify(record.restartNeeded),
    updated_at: trx.fn.now(),
    ...(record.settings === null ? {} : { settings: JSON.stringify(record.settings) }),
  };
  await trx('ai_config_status').insert(row).onConflict('id').merge();
  // Delivered at commit, to every process LISTENing on this database.
  await trx.raw('SELECT pg_notify(?, ?)', [CONFIG_CHANNEL, '']);
}

/** A failed read of the env file: the running pool and the published settings stay as they are. */
export async function recordImportError(
  db: Db,
  error: { readonly file: string; readonly line: number | null; readonly message: string },
): Promise<void> {
  const lastError: ConfigImportError = {
    at: new Date().toISOString(),
    file: error.file,
    line: error.line,
    message: error.message.slice(0, MAX_MESSAGE_LENGTH),
  };
  await db('ai_config_status')
    .insert({ id: ROW_ID, file: error.file, last_error: JSON.stringify(lastError), updated_at: db.fn.now() })
    .onConflict('id')
    .merge(['file', 'last_error', 'updated_at']);
}

const countsSchema = z.object({
  added: z.number().int().nonnegative(),
  changed: z.number().int().nonnegative(),
  disabled: z.number().int().nonnegative(),
  unchanged: z.number().int().nonnegative(),
});
const errorSchema = z.object({
  at: z.string(),
  file: z.string(),
  line: z.number().int().positive().nullable(),
  message: z.string(),
});

interface StatusRow {
  file: string;
  last_import_at: Date | null;
  last_import: unknown;
  last_error: unknown;
  restart_needed: unknown;
  settings: unknown;
}

/** The status as health shows it; null when nothing was imported or refused yet. */
export async function readConfigStatus(db: Db): Promise<ConfigStatus | null> {
  const row = await db('ai_config_status').where('id', ROW_ID).first<StatusRow | undefined>();
  if (row === undefined) return null;
  // jsonb written by this module; parsed all the same, as a hand-edited row must not break health.
  const counts = countsSchema.nullable().safeParse(row.last_import ?? null);
  const error = errorSchema.nullable().safeParse(row.last_error ?? null);
  const restart = z.array(z.string()).safeParse(row.restart_needed);
  return {
    file: row.file,
    last_import_at: row.last_import_at?.toISOString() ?? null,
    last_import: counts.success ? counts.data : null,
    last_error: error.success ? error.data : null,
    restart_needed: restart.success ? restart.data : [],
  };
}

/** The published reloadable settings (unchecked: config/published-settings.ts reads them); null: none yet. */
export async function readPublishedSettingsRow(db: Db): Promise<unknown> {
  const row = await db('ai_config_status')
    .where('id', ROW_ID)
    .first<Pick<StatusRow, 'settings'> | undefined>('settings');
  return row?.settings ?? null;
}
