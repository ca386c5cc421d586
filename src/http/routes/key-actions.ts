/**
 * Operator actions: `POST /api/keys/:name/{block,unblock,disable,enable}` and `POST /api/reset-daily`.
 * The server checks the key exists (a uniform 404 whatever the implementation), calls `actions`, and
 * answers with the key as Postgres now has it, so the client sees what really changed. Each action
 * that went through is written to the audit trail (src/store/admin-actions.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AikeysError } from '../../core/errors.js';
import { auditAdminAction } from '../../store/admin-actions.js';
import { findKeyByName } from '../../store/keys.js';
import { validationError } from '../errors.js';
import type { AdminAppDeps, KeyActions } from '../types.js';
import { apiActor } from './admin-actions.js';
import { keyJson } from './keys.js';

const DEFAULT_DISABLE_REASON = 'disabled by an operator (admin API)';
const MAX_BLOCK_SECONDS = 30 * 24 * 3600;

const KeyParams = z.object({ name: z.string().regex(/^key_[1-9][0-9]{0,8}$/, 'a key name is key_N') });
const BlockBody = z
  .object({
    seconds: z.number().int().min(1).max(MAX_BLOCK_SECONDS).optional(),
    reason: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
const DisableBody = z.object({ reason: z.string().trim().min(1).max(200).optional() }).strict();
const EmptyBody = z.object({}).strict();

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw validationError(parsed.error, where);
  return parsed.data;
}

function requireActions(deps: AdminAppDeps): KeyActions {
  if (deps.actions) return deps.actions;
  throw new AikeysError(
    'ACTIONS_UNAVAILABLE',
    'Key actions are not available in this process: run the admin server with the workers (npm start)',
  );
}

type Action = 'block' | 'unblock' | 'disable' | 'enable';

/** The audit row's `details` for an API action: how the caller was authenticated, and from where. */
function requestDetails(request: FastifyRequest): Record<string, unknown> {
  return { via: request.adminAuth ?? 'open', ip: request.ip };
}

async function run(deps: AdminAppDeps, action: Action, request: FastifyRequest) {
  const actions = requireActions(deps);
  const { name } = parse(KeyParams, request.params, 'params');
  const before = await findKeyByName(deps.db, name);
  if (!before) throw new AikeysError('KEY_NOT_FOUND', `No key named ${name}`);
  let reason: string | undefined;
  let details = requestDetails(request);
  switch (action) {
    case 'block': {
      const body = parse(BlockBody, request.body, 'body');
      await actions.block(name, body);
      reason = body.reason;
      details = { ...details, seconds: body.seconds ?? deps.config.system.blockSeconds };
      break;
    }
    case 'disable': {
      const body = parse(DisableBody, request.body, 'body');
      reason = body.reason ?? DEFAULT_DISABLE_REASON;
      await actions.disable(name, reason);
      break;
    }
    case 'unblock':
      parse(EmptyBody, request.body, 'body');
      await actions.unblock(name);
      break;
    case 'enable':
      parse(EmptyBody, request.body, 'body');
      await actions.enable(name);
      break;
  }
  const after = await findKeyByName(deps.db, name);
  await auditAdminAction(deps.db, request.log, {
    actor: apiActor(request),
    action,
    keyName: name,
    reason,
    details,
  });
  return { ok: true, action, key: keyJson(after ?? before) };
}

export function registerKeyActionRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  for (const action of ['block', 'unblock', 'disable', 'enable'] as const) {
    app.post(`/api/keys/:name/${action}`, (request) => run(deps, action, request));
  }

  app.post('/api/reset-daily', async (request) => {
    const actions = requireActions(deps);
    parse(EmptyBody, request.body, 'body');
    const { keysReset } = await actions.resetDaily();
    await auditAdminAction(deps.db, request.log, {
      actor: apiActor(request),
      action: 'reset-daily',
      details: { ...requestDetails(request), keysReset },
    });
    return { ok: true, action: 'reset-daily', keys_reset: keysReset };
  });
}
