/**
 * Bull Board (queue inspection: jobs by state, retries, failure reasons) mounted at /admin/queues.
 * It sits behind the same auth hook as the API (see auth.ts for why it also takes a cookie).
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { BULL_BOARD_PATH } from './auth.js';

type BoardServerAdapter = Parameters<typeof createBullBoard>[0]['serverAdapter'];

export async function registerBullBoard(app: FastifyInstance, queues: readonly Queue[]): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue)),
    // @bull-board/fastify 9.10.1 carries its own nested @bull-board/api 9.10.1, whose private fields
    // make the (runtime-identical) adapter types unassignable to 9.10.2's; aligning the two versions
    // in package.json would remove this cast.
    serverAdapter: serverAdapter as unknown as BoardServerAdapter,
    options: { uiConfig: { boardTitle: 'aikeys queues' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
}
