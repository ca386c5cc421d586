/**
 * `POST /api/import`: re-import the env file now, as `aikeys import` does (the same importConfig,
 * under the same advisory lock, so it serialises with any other import), then rebuild the pool's
 * Redis state. The process that serves it must hold the way to read the file's key secrets
 * (`importNow`, given by `npm start`); elsewhere it answers 503 ACTIONS_UNAVAILABLE. The answer and
 * the audit row name keys only: the report's masked secrets stay in the CLI.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AikeysError } from '../../core/errors.js';
import { auditAdminAction } from '../../store/admin-actions.js';
import type { ImportReport } from '../../store/import/report.js';
import { parseInput, routeSchema } from '../api-schema.js';
import type { AdminAppDeps } from '../types.js';
import { apiActor } from './admin-actions.js';

const names = z.array(z.string()).describe('Key names (key_N)');

const ImportReportSchema = z.object({
  file: z.string().describe('The env file read'),
  added: names,
  changed: names.describe('Keys whose settings changed, or that came back to the config'),
  disabled: names.describe('Keys no longer in the config, disabled (never deleted)'),
  unchanged: names,
  already_removed: z.number().int().describe('Keys removed earlier and still absent'),
  accounts_added: z.array(z.string()).describe('Account names'),
  accounts_changed: z.array(z.string()),
  legacy: z.array(z.string()).describe('How each legacy setting name maps to the new form'),
});

export function importReportJson(report: ImportReport): z.infer<typeof ImportReportSchema> {
  return {
    file: report.file,
    added: report.added.map((k) => k.name),
    changed: report.changed.map((k) => k.name),
    disabled: report.disabled.map((k) => k.name),
    unchanged: report.unchanged.map((k) => k.name),
    already_removed: report.alreadyRemoved,
    accounts_added: report.accounts.added.map((a) => a.name),
    accounts_changed: report.accounts.changed.map((a) => a.name),
    legacy: report.legacy.map((n) => n.message),
  };
}

const EmptyBody = z.object({}).strict();

export function registerImportRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  const schema = routeSchema({
    summary: 'Re-import the config now',
    description:
      'Reads the env file, upserts accounts and keys (removed keys are disabled), rebuilds the pool. ' +
      'Audited. 503 ACTIONS_UNAVAILABLE in a process that does not import (a worker or admin server alone).',
    tags: ['actions'],
    body: EmptyBody,
    response: z.object({ report: ImportReportSchema }),
  });
  app.post('/api/import', { schema }, async (request) => {
    parseInput(EmptyBody, request.body, 'body');
    if (deps.importNow === undefined) {
      throw new AikeysError(
        'ACTIONS_UNAVAILABLE',
        'This process does not import the config: run `aikeys import`, or use the admin server of `npm start`',
      );
    }
    const report = importReportJson(await deps.importNow());
    await auditAdminAction(deps.db, request.log, {
      actor: apiActor(request),
      action: 'import',
      details: {
        via: request.adminAuth ?? 'open',
        ip: request.ip,
        file: report.file,
        added: report.added,
        changed: report.changed,
        disabled: report.disabled,
        unchanged: report.unchanged.length,
        accountsAdded: report.accounts_added.length,
        accountsChanged: report.accounts_changed.length,
      },
    });
    return { report };
  });
}
