/**
 * Bull Board (queue inspection: jobs by state, retries, failure reasons) mounted at /admin/queues.
 * It sits behind the same hooks as the API: auth (the browser reaches it with its session cookie),
 * the cross-site check on its PUT/POST/DELETE actions, and the security headers. Read-only unless
 * AIKEYS_BOARD_WRITE=true: retrying, cleaning or removing jobs by hand bypasses the job pipeline's
 * own accounting, so it is a deliberate choice.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { BULL_BOARD_PATH } from './auth.js';

type BoardServerAdapter = Parameters<typeof createBullBoard>[0]['serverAdapter'];

export async function registerBullBoard(
  app: FastifyInstance,
  queues: readonly Queue[],
  options: { write: boolean },
): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: !options.write })),
    // @bull-board/fastify 9.10.1 carries its own nested @bull-board/api 9.10.1, whose private fields
    // make the (runtime-identical) adapter types unassignable to 9.10.2's; aligning the two versions
    // in package.json would remove this cast.
    serverAdapter: serverAdapter as unknown as BoardServerAdapter,
    options: { uiConfig: { boardTitle: 'aikeys queues' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
}
