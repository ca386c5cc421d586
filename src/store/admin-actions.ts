/**
 * The audit trail of operator actions: every block, unblock, disable, enable, reset-daily, import
 * and rotate, from the admin API or the CLI, leaves a pino line and an `ai_admin_actions` row.
 * Key names are written in the clear: they are labels (`key_3`), not secrets.
 */
import type { Db } from './database.js';

export const ADMIN_ACTIONS = [
  'block',
  'unblock',
  'disable',
  'enable',
  'reset-daily',
  'import',
  'rotate',
] as const;
export type AdminActionName = (typeof ADMIN_ACTIONS)[number];

export interface AdminActionEntry {
  /** Who: `api:<credential>` or `cli:<OS user>`. */
  readonly actor: string;
  readonly action: AdminActionName;
  readonly keyName?: string | null;
  readonly reason?: string | null;
  /** What the action took and produced (seconds, counts, client address); never a secret. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AdminActionRow {
  readonly id: number;
  readonly actor: string;
  readonly action: string;
  readonly key_name: string | null;
  readonly reason: string | null;
  readonly details: Record<string, unknown>;
  readonly created_at: string;
}

export const MAX_ADMIN_ACTIONS_LISTED = 500;

/** What the audit needs of a logger: pino's, or fastify's request logger (a pino child). */
export interface AuditLogger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * Logs the action, then stores it. Called after the action succeeded: a row that cannot be written
 * does not undo it or report it as failed (the log line already holds the same facts), it is
 * logged as an error for someone to look at.
 */
export async function auditAdminAction(db: Db, logger: AuditLogger, entry: AdminActionEntry): Promise<void> {
  const row = {
    actor: entry.actor.slice(0, 200),
    action: entry.action,
    key_name: entry.keyName ?? null,
    reason: entry.reason ?? null,
    details: entry.details ?? {},
  };
  logger.info(
    {
      audit: true,
      actor: row.actor,
      action: row.action,
      keyName: row.key_name,
      reason: row.reason,
      details: row.details,
    },
    `admin action ${row.action}${row.key_name === null ? '' : ` on ${row.key_name}`} by ${row.actor}`,
  );
  try {
    await db('ai_admin_actions').insert({ ...row, details: JSON.stringify(row.details) });
  } catch (error) {
    logger.error(
      { err: error, actor: row.actor, action: row.action, keyName: row.key_name },
      'admin action done, but its ai_admin_actions row could not be written',
    );
  }
}

export async function listAdminActions(db: Db, limit: number): Promise<AdminActionRow[]> {
  const rows = await db('ai_admin_actions')
    .select('id', 'actor', 'action', 'key_name', 'reason', 'details', 'created_at')
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(Math.min(Math.max(1, limit), MAX_ADMIN_ACTIONS_LISTED));
  return rows.map((r: Record<string, unknown>) => ({
    id: Number(r.id),
    actor: String(r.actor),
    action: String(r.action),
    key_name: (r.key_name as string | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    details: (r.details as Record<string, unknown>) ?? {},
    created_at: (r.created_at as Date).toISOString(),
  }));
}
