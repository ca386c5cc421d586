/**
 * A worker replica's own HTTP surface on HOST:PORT: only the probes and its metrics. The admin
 * server (npm start, the admin service) serves the same routes among its own instead.
 */
import Fastify from 'fastify';
import { AikeysError } from '../core/errors.js';
import type { CloseStep } from '../core/close-step.js';
import { registerProbeRoutes, type ProcessProbes } from './probe-routes.js';

export interface RunningProbeServer {
  readonly url: string;
  readonly closeStep: CloseStep;
}

export async function startProbeServer(
  probes: ProcessProbes,
  address: { host: string; port: number },
): Promise<RunningProbeServer> {
  const app = Fastify({ logger: false });
  registerProbeRoutes(app, probes);
  try {
    const url = await app.listen({ host: address.host, port: address.port });
    return { url, closeStep: { name: 'probe server', close: () => app.close() } };
  } catch (error) {
    await app.close();
    const code = (error as { code?: unknown }).code;
    if (code === 'EADDRINUSE')
      throw new AikeysError(
        'PORT_IN_USE',
        `PORT ${address.port} on HOST ${address.host} is already in use: give each worker replica on one host its own PORT (PORT=0 picks a free one)`,
      );
    throw error;
  }
}
