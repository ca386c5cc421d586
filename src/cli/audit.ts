/**
 * The CLI's side of the audit trail (src/store/admin-actions.ts): the actor is `cli:<OS user>`, and
 * the pino line goes to standard error (standard output stays the command's answer, for scripts).
 */
import { userInfo } from 'node:os';
import { pino } from 'pino';
import type { AikeysConfig } from '../config/types.js';
import { REDACTED_PATHS } from '../core/logger.js';
import { auditAdminAction, type AdminActionEntry } from '../store/admin-actions.js';
import type { Db } from '../store/database.js';
import type { CliContext } from './context.js';

export function cliActor(env: Readonly<Record<string, string | undefined>> = process.env): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    // No passwd entry for this uid (some containers): the environment's name is the best left.
    return `cli:${env.USER ?? env.USERNAME ?? 'unknown'}`;
  }
}

export async function auditCli(
  ctx: CliContext,
  config: AikeysConfig,
  db: Db,
  entry: Omit<AdminActionEntry, 'actor'>,
): Promise<void> {
  const logger = pino(
    {
      name: 'aikeys',
      level: config.services.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    { write: (line: string) => ctx.err(line) },
  );
  await auditAdminAction(db, logger, { actor: cliActor(), ...entry });
}
