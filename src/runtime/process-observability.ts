/**
 * One process's observability, built once by its entry point: its metrics registry (job path,
 * breaker events, usage backlog, process defaults), its readiness, its tracer and the job observer
 * that feeds them. Entry points wire it to a probe server (a worker replica) or to the admin server.
 */
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Container } from './container.js';
import type { CloseStep } from '../core/close-step.js';
import { AccountNames } from '../observability/account-names.js';
import { createJobObserver, type JobObserver } from '../observability/job-observer.js';
import { registerJobMetrics, type JobMetrics } from '../observability/job-metrics.js';
import type { ProcessProbes } from '../observability/probe-routes.js';
import {
  registerQueueGauges,
  registerUsageBacklogGauge,
  type ScrapedQueue,
} from '../observability/queue-gauges.js';
import { postgresCheck, Readiness, redisCheck, workersCheck } from '../observability/readiness.js';
import { startTracing } from '../observability/tracing.js';

export interface ProcessObservability extends ProcessProbes {
  readonly observer: JobObserver;
  readonly tracingEnabled: boolean;
  /** The workers readiness waits for; an entry point adds them once started. */
  watchWorker(worker: { readonly name: string; isRunning(): boolean }): void;
  /** Run first at shutdown: readiness turns false before anything stops. */
  readonly shutdownStep: CloseStep;
  /** Run last: buffered spans are sent. */
  readonly tracingStep: CloseStep;
}

export const READY_METRIC = 'aikeys_ready';

/**
 * The registry one process serves: default process metrics, the job path's metrics, the usage
 * backlog, its readiness as a gauge (for "no worker ready" alerts) and, when given, the queues.
 */
export function createProcessRegistry(options: {
  redis: Redis;
  usageStreamKey: string;
  queues: readonly ScrapedQueue[];
  readiness: Pick<Readiness, 'report'>;
  runsWorkers: boolean;
}): { registry: Registry; metrics: JobMetrics } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = registerJobMetrics(registry);
  registerUsageBacklogGauge(registry, options.redis, options.usageStreamKey);
  if (options.queues.length) registerQueueGauges(registry, options.queues);
  new Gauge({
    name: READY_METRIC,
    help: 'Whether this process is ready (1) or not (0), as /readyz says; workers="true" for a process that runs jobs',
    labelNames: ['workers'],
    registers: [registry],
    async collect() {
      const { ready } = await options.readiness.report();
      this.set({ workers: String(options.runsWorkers) }, ready ? 1 : 0);
    },
  });
  return { registry, metrics };
}

export async function startProcessObservability(
  container: Container,
  options: {
    serviceName: string;
    /** Queues to report depth and oldest job for; leave out when the admin server's registry has them. */
    queues?: readonly ScrapedQueue[];
    /** Whether readiness waits for workers (false for the admin server alone). */
    runsWorkers: boolean;
    env?: Readonly<Record<string, string | undefined>>;
  },
): Promise<ProcessObservability> {
  const { db, commandConnection, logger, config } = container;
  const workers: { readonly name: string; isRunning(): boolean }[] = [];
  const readiness = new Readiness([
    redisCheck(commandConnection),
    postgresCheck(db),
    ...(options.runsWorkers ? [workersCheck(() => workers)] : []),
  ]);
  const { registry, metrics } = createProcessRegistry({
    redis: commandConnection,
    usageStreamKey: container.usage.key,
    queues: options.queues ?? [],
    readiness,
    runsWorkers: options.runsWorkers,
  });
  container.leaseEvents.on((event) => {
    if (event.kind === 'breaker_opened') metrics.breakerTrips.inc({ provider: event.provider });
    else metrics.providerPaused.inc({ provider: event.provider });
  });

  const accounts = new AccountNames(db, logger);
  await accounts.load();
  const tracing = startTracing({ env: options.env, serviceName: options.serviceName, logger });
  const observer = createJobObserver({
    metrics,
    tracer: tracing.tracer,
    accounts,
    queueName: config.services.queueName,
  });

  return {
    registry,
    readiness,
    observer,
    tracingEnabled: tracing.enabled,
    watchWorker: (worker) => void workers.push(worker),
    shutdownStep: readiness.shutdownStep,
    tracingStep: tracing.closeStep,
  };
}
