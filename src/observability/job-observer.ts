/**
 * Measures and traces the job path from the outside: the processor and the key leaser are wrapped,
 * the processor itself is unchanged. One span per job run (its parent the producer's span, when
 * the job carries a traceparent), with children for the wait for a key, each lease, each provider
 * call (GenAI semantic-convention attributes) and each release. A run's state travels with its
 * async context, so concurrent jobs in one worker never mix their counts.
 *
 * Nothing from the prompt, the reply or the key's secret is ever put on a span or a label: only
 * names from the configuration (provider, model, account, key name), counts and outcomes.
 */
import { performance } from 'node:perf_hooks';
import {
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { DelayedError } from 'bullmq';
import type { KeyLeaser } from '../jobs/ports.js';
import type { LeasedKey } from '../lease/types.js';
import type { ReleaseOutcome } from '../lease/outcome.js';
import type { AccountNames } from './account-names.js';
import { seriesKey, type KeyLabels } from './call-counters.js';
import { DIRECT_CLIENT, type CallOutcome, type JobMetrics } from './job-metrics.js';
import { MAX_METADATA_BYTES } from '../jobs/job-schema.js';
import { formatTraceparent, jobParentContext, parseTraceparent } from './trace-context.js';

/** The part of a BullMQ job read here. */
export interface ObservedJob {
  readonly id?: string;
  readonly data: unknown;
  readonly timestamp: number;
  readonly opts: { readonly delay?: number };
  readonly attemptsStarted: number;
  updateData(data: never): Promise<void>;
}

export interface JobObserverDeps {
  readonly metrics: JobMetrics;
  readonly tracer: Tracer;
  readonly accounts: Pick<AccountNames, 'nameOf'>;
  readonly queueName: string;
}

interface JobRun {
  readonly context: Context;
  /** The run's span records (tracing is on and sampled it): its children are worth making. */
  readonly traced: boolean;
  /** When the job became due: created, or the end of the delay its producer asked for. */
  readonly dueAt: number;
  provider: string | null;
  calls: number;
  leased: boolean;
}

interface CallInFlight {
  readonly span: Span;
  readonly startedAt: number;
  readonly labels: KeyLabels;
  readonly series: string;
}

export function callOutcome(outcome: ReleaseOutcome, status: number): CallOutcome {
  switch (outcome.kind) {
    case 'success':
      return 'success';
    case 'rate_limited':
      return 'rate_limited';
    case 'auth_failed':
      return 'invalid_key';
    case 'quota_exhausted':
      return 'quota';
    case 'server_error':
      return status === 0 ? 'timeout' : 'server_error';
    case 'request_error':
      return 'request_error';
  }
}

/**
 * A job delayed to wait for a key runs again later. Without a producer's context it would start a
 * new trace then; its first run's span is written into its metadata instead, so every run of the
 * job is one trace. Best effort: a job whose metadata is full, or a failed write, only loses that.
 */
async function carryTraceToNextRun(job: ObservedJob, span: Span): Promise<void> {
  if (!span.isRecording()) return;
  const data = job.data as { metadata?: Record<string, unknown> } | null;
  if (data === null || typeof data !== 'object' || parseTraceparent(data.metadata?.traceparent)) return;
  const metadata = { ...data.metadata, traceparent: formatTraceparent(span.spanContext()) };
  if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) return;
  try {
    await job.updateData({ ...data, metadata } as never);
  } catch {
    // The next run starts a trace of its own.
  }
}

const seconds = (fromMs: number) => (performance.now() - fromMs) / 1000;

/**
 * Stands in for the child spans of a run that is not traced (no tracing set up, or not sampled): a
 * child of a non-recording span would not record either, so its attributes are not even built.
 */
const UNTRACED = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export function createJobObserver(deps: JobObserverDeps) {
  const { metrics, tracer } = deps;
  const calls = new Map<string, CallInFlight>();

  function keyLabels(key: LeasedKey): KeyLabels {
    return {
      provider: key.provider,
      model: key.model,
      account: deps.accounts.nameOf(key.accountId),
      key: key.keyName,
    };
  }

  /**
   * Wraps a job processor: each run gets its span and its own view of `inner` (the key leaser),
   * whose leases and releases are counted and traced as that run's. The run is handed over
   * explicitly rather than found through AsyncLocalStorage, which on Node 20 turns promise hooks on
   * for every promise of the process.
   */
  function jobProcessor<J extends ObservedJob, R>(
    inner: KeyLeaser,
    process: (job: J, token: string | undefined, leaser: KeyLeaser) => Promise<R>,
  ): (job: J, token?: string) => Promise<R> {
    return async (job, token) => {
      const parent = jobParentContext((job.data as { metadata?: unknown } | null)?.metadata);
      const span = tracer.startSpan(
        `process ${deps.queueName}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'bullmq',
            'messaging.operation.type': 'process',
            'messaging.destination.name': deps.queueName,
            'messaging.message.id': job.id ?? '',
            'aikeys.job.run': job.attemptsStarted,
          },
        },
        parent,
      );
      const run: JobRun = {
        context: trace.setSpan(parent, span),
        traced: span.isRecording(),
        dueAt: job.timestamp + (job.opts.delay ?? 0),
        provider: null,
        calls: 0,
        leased: false,
      };
      let result = 'completed';
      try {
        return await process(job, token, runLeaser(run, inner));
      } catch (error) {
        result = error instanceof DelayedError ? 'delayed' : 'failed';
        if (result === 'delayed') await carryTraceToNextRun(job, span);
        // The failure reason is not copied: it may quote a provider's answer.
        if (result === 'failed') span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.setAttribute('aikeys.job.result', result);
        span.setAttribute('aikeys.job.provider_calls', run.calls);
        if (run.provider !== null) metrics.callsPerJob.observe({ provider: run.provider, result }, run.calls);
        span.end();
      }
    };
  }

  /** `inner` as one run sees it: its leases and releases counted and traced as that run's. */
  function runLeaser(run: JobRun, inner: KeyLeaser): KeyLeaser {
    return {
      describeNoKey: (provider, answer) => inner.describeNoKey(provider, answer),
      async lease(request) {
        run.provider = request.provider;
        const traced = run.traced;
        const span = traced
          ? tracer.startSpan(
              'aikeys.lease',
              {
                attributes: {
                  'gen_ai.system': request.provider,
                  'gen_ai.request.model': request.model ?? '',
                },
              },
              run.context,
            )
          : UNTRACED;
        const started = performance.now();
        try {
          const answer = await inner.lease(request);
          metrics.leaseSeconds.observe(
            { provider: request.provider, result: answer.ok ? 'leased' : 'no_key' },
            seconds(started),
          );
          if (traced) span.setAttribute('aikeys.lease.result', answer.ok ? 'leased' : 'no_key');
          if (answer.ok) {
            const key = answer.key;
            if (traced)
              span.setAttributes({ 'aikeys.key.name': key.keyName, 'gen_ai.request.model': key.model });
            if (!run.leased) {
              run.leased = true;
              const waited = Math.max(0, Date.now() - run.dueAt);
              metrics.keyWaitSeconds.observe({ provider: key.provider }, waited / 1000);
              if (traced) {
                tracer
                  .startSpan('aikeys.key_wait', { startTime: Math.min(run.dueAt, Date.now()) }, run.context)
                  .end();
              }
            }
            const labels = keyLabels(key);
            const series = seriesKey(labels);
            metrics.calls.started(series, labels);
            const callSpan = !traced
              ? UNTRACED
              : tracer.startSpan(
                  `chat ${key.model}`,
                  {
                    kind: SpanKind.CLIENT,
                    attributes: {
                      'gen_ai.operation.name': 'chat',
                      'gen_ai.system': key.provider,
                      'gen_ai.request.model': key.model,
                      'aikeys.key.name': key.keyName,
                      'aikeys.account': labels.account,
                    },
                  },
                  run.context,
                );
            calls.set(key.leaseId, { span: callSpan, startedAt: performance.now(), labels, series });
          }
          return answer;
        } catch (error) {
          metrics.leaseSeconds.observe({ provider: request.provider, result: 'error' }, seconds(started));
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },

      async release(key, outcome, record) {
        const call = calls.get(key.leaseId);
        calls.delete(key.leaseId);
        const labels = call?.labels ?? keyLabels(key);
        const result = callOutcome(outcome, record.status);
        run.calls++;
        metrics.calls.ended(call?.series ?? seriesKey(labels), labels, {
          client: record.client ?? DIRECT_CLIENT,
          outcome: result,
          prompt: record.promptTokens,
          completion: record.completionTokens,
          cost: record.costUsd,
        });
        if (call)
          metrics.providerCallSeconds.observe(
            { provider: labels.provider, model: labels.model, outcome: result },
            seconds(call.startedAt),
          );
        if (call && call.span !== UNTRACED) {
          call.span.setAttributes({
            'aikeys.call.outcome': result,
            'http.response.status_code': record.status,
            'gen_ai.usage.input_tokens': record.promptTokens,
            'gen_ai.usage.output_tokens': record.completionTokens,
          });
          if (outcome.kind !== 'success') call.span.setStatus({ code: SpanStatusCode.ERROR });
          call.span.end();
        }
        const span = run.traced
          ? tracer.startSpan(
              'aikeys.release',
              { attributes: { 'aikeys.key.name': key.keyName, 'aikeys.call.outcome': result } },
              run.context,
            )
          : UNTRACED;
        try {
          await inner.release(key, outcome, record);
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },
    };
  }

  return { jobProcessor };
}

export type JobObserver = ReturnType<typeof createJobObserver>;
