/**
 * One process's observability, built once by its entry point: its metrics registry (job path,
 * breaker events, usage backlog, process defaults), its readiness, its tracer and the job observer
 * that feeds them. Entry points wire it to a probe server (a worker replica) or to the admin server.
 */
import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Container } from '../runtime/container.js';
import type { CloseStep } from '../runtime/shutdown.js';
import { AccountNames } from './account-names.js';
import { createJobObserver, type JobObserver } from './job-observer.js';
import { registerJobMetrics } from './job-metrics.js';
import type { ProcessProbes } from './probe-routes.js';
import { registerQueueGauges, registerUsageBacklogGauge, type ScrapedQueue } from './queue-gauges.js';
import { postgresCheck, Readiness, redisCheck, workersCheck } from './readiness.js';
import { startTracing } from './tracing.js';

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

export async function startProcessObservability(
  container: Container,
  options: {
    serviceName: string;
    /** Queues to report depth and oldest job for; leave out when the admin server's registry has them. */
    queues?: readonly (ScrapedQueue | Queue)[];
    /** Whether readiness waits for workers (false for the admin server alone). */
    runsWorkers: boolean;
    env?: Readonly<Record<string, string | undefined>>;
  },
): Promise<ProcessObservability> {
  const { db, commandConnection, logger, config } = container;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = registerJobMetrics(registry);
  container.leaseEvents.on((event) => {
    if (event.kind === 'breaker_opened') metrics.breakerTrips.inc({ provider: event.provider });
    else metrics.providerPaused.inc({ provider: event.provider });
  });
  registerUsageBacklogGauge(registry, commandConnection, container.usage.key);
  if (options.queues?.length) registerQueueGauges(registry, options.queues);

  const accounts = new AccountNames(db, logger);
  await accounts.load();
  const tracing = startTracing({ env: options.env, serviceName: options.serviceName, logger });
  const observer = createJobObserver({
    metrics,
    tracer: tracing.tracer,
    accounts,
    queueName: config.services.queueName,
  });

  const workers: { readonly name: string; isRunning(): boolean }[] = [];
  const readiness = new Readiness([
    redisCheck(commandConnection),
    postgresCheck(db),
    ...(options.runsWorkers ? [workersCheck(() => workers)] : []),
  ]);
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
