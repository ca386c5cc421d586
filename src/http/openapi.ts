/**
 * The OpenAPI document of the REST API, built by @fastify/swagger from the routes' own schemas
 * (api-schema.ts): `/api/docs` the Swagger UI, `/api/docs/json` the document. Both sit behind the
 * admin auth like every /api route. The UI's page loads its scripts and stylesheets from this
 * server and runs no inline script, so the default CSP (security-headers.ts) serves it as it is.
 * Only /api routes are documented: the dashboard, sign-in, Bull Board and the front door (which
 * speaks the providers' own formats) are not part of this API.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const DOCS_PATH = '/api/docs';

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'aikeys admin API',
        version: '1',
        description:
          'Keys, accounts, usage and operator actions of an aikeys pool. Errors are ' +
          '`{ "error": { "code", "message" } }`. Send `Authorization: Bearer <AIKEYS_ADMIN_TOKEN>` ' +
          '(or sign in at /sign-in) when the server has a token.',
      },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
      security: [{ adminToken: [] }],
    },
    transform: ({ schema, url }) => ({
      schema: url.startsWith('/api/') ? schema : { ...schema, hide: true },
      url,
    }),
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    // The UI must not fetch a validator badge from the internet (the admin host may have none).
    uiConfig: { validatorUrl: null, deepLinking: true },
  });
}
