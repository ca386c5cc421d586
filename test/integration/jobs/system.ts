/**
 * A whole aikeys system inside the test process, on the test's own database and Redis prefix:
 * config file, import, one worker replica, a producer. The simulated provider answers according to
 * each key's value (src/simulator/key-behaviour.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue, type QueueEvents } from 'bullmq';
import { loadConfig } from '../../../src/config/load-config.js';
import { silentLogger } from '../../../src/core/logger.js';
import { generateMasterKey, KeyRing } from '../../../src/crypto/key-ring.js';
import type { KeyLeaser } from '../../../src/jobs/ports.js';
import { createProducer, type AiJobProducer } from '../../../src/queues/producer.js';
import { openQueueEvents } from '../../../src/queues/queue-events.js';
import { buildContainer, type Container } from '../../../src/runtime/container.js';
import { closeInOrder } from '../../../src/runtime/shutdown.js';
import { startWorkerReplica, type WorkerReplica } from '../../../src/runtime/worker-replica.js';
import { importConfig } from '../../../src/store/import-config.js';
import { findKeyByName } from '../../../src/store/keys.js';
import type { Isolated } from '../../setup/isolation.js';

export interface TestSystem {
  container: Container;
  replica: WorkerReplica;
  /** The env file the system imported, and the env it was read with (to import it again). */
  file: string;
  fileEnv: Readonly<Record<string, string>>;
  producer: AiJobProducer;
  queue: Queue;
  events: QueueEvents;
  keyId(name: string): Promise<number>;
  close(): Promise<void>;
}

export async function startSystem(
  env: Isolated,
  providerBaseUrl: string,
  lines: readonly string[],
  options: { wrapLeaser?: (leaser: KeyLeaser) => KeyLeaser } = {},
): Promise<TestSystem> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aikeys-jobs-'));
  const file = path.join(dir, '.env.local');
  writeFileSync(
    file,
    [
      `AI_ENCRYPTION_KEY=${generateMasterKey().reveal()}`,
      'AI_DEFAULT_MODEL=gpt-4o-mini',
      'AI_RETRY_DELAY_MS=1',
      ...lines,
    ].join('\n'),
  );
  const fileEnv = { ...env.env, AI_PROVIDER_OPENAI_BASE_URL: providerBaseUrl };
  const config = loadConfig({ file, env: fileEnv });
  const container = await buildContainer(config, silentLogger);
  await importConfig(container.db, config, { ring: KeyRing.fromSecrets(config.system.encryptionKey) });
  if (options.wrapLeaser) container.jobDeps.leaser = options.wrapLeaser(container.jobDeps.leaser);
  const replica = await startWorkerReplica(container, { concurrency: 4 });
  const connection = container.bullConnection;
  const producer = createProducer({ connection, prefix: env.prefix, queueName: env.queueName });
  const queue = new Queue(env.queueName, { connection, prefix: env.prefix });
  const reader = await openQueueEvents(connection, env.queueName, env.prefix);
  const events = reader.events;
  return {
    container,
    replica,
    file,
    fileEnv,
    producer,
    queue,
    events,
    async keyId(name) {
      return (await findKeyByName(container.db, name))!.keyId;
    },
    async close() {
      await closeInOrder(
        [
          { name: 'events', close: () => reader.close() },
          { name: 'queue', close: () => queue.close() },
          { name: 'producer', close: () => producer.close() },
          ...replica.workerSteps,
          replica.containerStep,
        ],
        silentLogger,
      );
    },
  };
}
