/**
 * Operator actions: `POST /api/keys/:name/{block,unblock,disable,enable}` and `POST /api/reset-daily`.
 * The body is checked here; `actions` (lease/key-actions.ts) finds the key (404 KEY_NOT_FOUND when
 * there is none), acts, and returns the key as Postgres now has it, so the client sees what really
 * changed. Each action that went through is written to the audit trail (src/store/admin-actions.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AikeysError } from '../../core/errors.js';
import type { KeyActions } from '../../lease/key-actions.js';
import { auditAdminAction } from '../../store/admin-actions.js';
import type { KeyView } from '../../store/keys.js';
import { parseInput as parse, routeSchema } from '../api-schema.js';
import type { AdminAppDeps } from '../types.js';
import { KeySchema, keyJson } from '../views/key.js';
import { apiActor } from './admin-actions.js';
import { KeyNameParams } from './keys.js';

/** A longer block would be cut to AI_MAX_BLOCK_SECONDS anyway: refused, so the operator knows. */
function blockBody(maxBlockSeconds: number) {
  return z
    .object({
      seconds: z
        .number()
        .int()
        .min(1)
        .max(maxBlockSeconds, {
          message: `must be at most ${maxBlockSeconds} (AI_MAX_BLOCK_SECONDS); raise AI_MAX_BLOCK_SECONDS to block longer`,
        })
        .optional(),
      reason: z.string().trim().min(1).max(200).optional(),
    })
    .strict();
}
const DisableBody = z.object({ reason: z.string().trim().min(1).max(200).optional() }).strict();
const EmptyBody = z.object({}).strict();

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

interface Done {
  readonly key: KeyView;
  readonly reason?: string | undefined;
  readonly details?: Record<string, unknown>;
}

async function act(
  deps: AdminAppDeps,
  actions: KeyActions,
  action: Action,
  name: string,
  body: unknown,
): Promise<Done> {
  switch (action) {
    case 'block': {
      const parsed = parse(blockBody(deps.config.system.maxBlockSeconds), body, 'body');
      const key = await actions.block(name, parsed);
      return {
        key,
        reason: parsed.reason,
        details: { seconds: parsed.seconds ?? deps.config.system.blockSeconds },
      };
    }
    case 'disable': {
      const parsed = parse(DisableBody, body, 'body');
      const key = await actions.disable(name, parsed);
      return { key, reason: key.disabledReason ?? parsed.reason };
    }
    case 'unblock':
      parse(EmptyBody, body, 'body');
      return { key: await actions.unblock(name) };
    case 'enable':
      parse(EmptyBody, body, 'body');
      return { key: await actions.enable(name) };
  }
}

async function run(deps: AdminAppDeps, action: Action, request: FastifyRequest) {
  const actions = requireActions(deps);
  const { name } = parse(KeyNameParams, request.params, 'params');
  const done = await act(deps, actions, action, name, request.body);
  await auditAdminAction(deps.db, request.log, {
    actor: apiActor(request),
    action,
    keyName: name,
    reason: done.reason,
    details: { ...requestDetails(request), ...done.details },
  });
  return { ok: true, action, key: keyJson(done.key) };
}

const ACTION_SUMMARY: Readonly<Record<Action, string>> = {
  block: 'Block a key for a while (default AI_BLOCK_SECONDS)',
  unblock: "End a key's block",
  disable: 'Disable a key until enabled',
  enable: 'Enable a disabled key (resets its breaker)',
};

function actionSchema(deps: AdminAppDeps, action: Action) {
  const body =
    action === 'block'
      ? blockBody(deps.config.system.maxBlockSeconds)
      : action === 'disable'
        ? DisableBody
        : EmptyBody;
  return routeSchema({
    summary: ACTION_SUMMARY[action],
    description: 'Audited in ai_admin_actions. 503 ACTIONS_UNAVAILABLE in a process without the key pool.',
    tags: ['actions'],
    params: KeyNameParams,
    body,
    response: z.object({ ok: z.literal(true), action: z.literal(action), key: KeySchema }),
  });
}

export function registerKeyActionRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  for (const action of ['block', 'unblock', 'disable', 'enable'] as const) {
    app.post(`/api/keys/:name/${action}`, { schema: actionSchema(deps, action) }, (request) =>
      run(deps, action, request),
    );
  }

  const resetSchema = routeSchema({
    summary: "Zero every key's daily counters now",
    description: "An operator's reset: closes no day (the scheduled reset does). Audited.",
    tags: ['actions'],
    body: EmptyBody,
    response: z.object({
      ok: z.literal(true),
      action: z.literal('reset-daily'),
      keys_reset: z.number().int(),
    }),
  });
  app.post('/api/reset-daily', { schema: resetSchema }, async (request) => {
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
