/**
 * Builds what the front door needs in one process: a producer on the pool's queue, the one job
 * waiter (one events reader), the model catalogue and the client check. Both the admin server
 * and `npm run gateway` mount the plugin with these options.
 */
import type { Redis } from 'ioredis';
import type { AikeysConfig } from '../config/types.js';
import { createProducer } from '../queues/producer.js';
import type { Db } from '../store/database.js';
import { checkGatewayClients, createClientAuth } from './client-auth.js';
import { createJobEnqueuer } from './enqueue-batch.js';
import { createJobWaiter, type JobWaiter } from './job-waiter.js';
import { createModelCatalogue } from './model-catalogue.js';
import { gatewayBodyLimit, type GatewayPluginOptions } from './plugin.js';
import { createRelay } from './relay.js';
import { createReplyReader, type ReplyReader } from './reply-reader.js';
import { createStreamRelay } from './stream-relay.js';

export interface FrontDoor {
  readonly options: GatewayPluginOptions;
  readonly waiter: JobWaiter;
  readonly reader: ReplyReader;
  close(): Promise<void>;
}

/** Throws a ConfigError when AIKEYS_GATEWAY_TOKENS is unset or too weak for HOST. */
export async function createFrontDoor(config: AikeysConfig, db: Db, connection: Redis): Promise<FrontDoor> {
  const { services, system } = config;
  const clients = checkGatewayClients(services.gatewayClients, services.host, config.file);
  const producer = createProducer({
    connection,
    prefix: services.prefix,
    queueName: services.queueName,
    maxPromptBytes: system.maxPromptBytes,
  });
  const waiter = await createJobWaiter(producer.queue, connection);
  const reader = await createReplyReader(connection, services.prefix);
  const timeoutMs = services.gatewayTimeoutMs;
  const enqueuer = createJobEnqueuer(producer);
  const options: GatewayPluginOptions = {
    relay: createRelay({ producer, enqueuer, waiter, timeoutMs }),
    streams: createStreamRelay({ producer, enqueuer, waiter, reader, timeoutMs }),
    catalogue: createModelCatalogue(db, config.providers, system.fallbackModel),
    translate: services.gatewayTranslate,
    auth: createClientAuth(clients),
    bodyLimit: gatewayBodyLimit(system.maxPromptBytes),
  };
  return {
    options,
    waiter,
    reader,
    async close() {
      await reader.close();
      await waiter.close();
      await producer.close();
    },
  };
}
