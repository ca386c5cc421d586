/**
 * `GET /api/models`: every (provider, model) the pool has keys for, whatever their state, with
 * whether one of its keys is active now and whether one may serve at all (not disabled). The
 * dashboard's model filter lists these, so a model whose keys are not on the page shown is there too.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listServedModels } from '../../store/served-models.js';
import { routeSchema } from '../api-schema.js';
import type { AdminAppDeps } from '../types.js';

const ModelSchema = z.object({
  provider: z.string(),
  model: z.string(),
  active: z.boolean().describe('At least one of its keys is active now'),
  usable: z.boolean().describe('At least one of its keys is not disabled'),
});

export function registerModelRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  const schema = routeSchema({
    summary: 'List models',
    description: 'Every provider and model with a key, sorted by provider then model.',
    tags: ['keys'],
    response: z.object({ models: z.array(ModelSchema) }),
  });
  app.get('/api/models', { schema }, async () => {
    const models = await listServedModels(deps.db);
    return {
      models: models.map((m) => ({
        provider: m.provider,
        model: m.model,
        active: m.active,
        usable: m.usable,
      })),
    };
  });
}
