/**
 * What the job path measures, on the registry of the process where the job runs, so every replica
 * reports its own calls. Labels are bounded by the configuration (provider, model, account, key
 * name, outcome): never a prompt, a job id or a secret.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CallCounters } from './call-counters.js';

export const JOB_METRIC_NAMES = {
  providerCalls: 'aikeys_provider_calls_total',
  providerCallSeconds: 'aikeys_provider_call_duration_seconds',
  keyWaitSeconds: 'aikeys_job_key_wait_seconds',
  leaseSeconds: 'aikeys_lease_duration_seconds',
  callsPerJob: 'aikeys_job_provider_calls',
  tokens: 'aikeys_tokens_total',
  costUsd: 'aikeys_cost_usd_total',
  inFlight: 'aikeys_key_in_flight_calls',
  breakerTrips: 'aikeys_provider_breaker_trips_total',
  providerPaused: 'aikeys_provider_paused_leases_total',
} as const;

/**
 * A provider call's outcome as operators name it. `timeout` is a call that got no HTTP response at
 * all (timed out, or the connection failed): the provider layer reports both as status 0.
 */
export const CALL_OUTCOMES = [
  'success',
  'rate_limited',
  'invalid_key',
  'quota',
  'server_error',
  'request_error',
  'timeout',
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

const KEY_LABELS = ['provider', 'model', 'account', 'key'] as const;

/** Provider calls last from tens of milliseconds to the request timeout (minutes). */
const CALL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];
/** A job may wait for a key from nothing to AI_NO_KEY_WAIT_MS (hours). */
const WAIT_BUCKETS = [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];
/** One Lua script round trip (plus a decryption on a cache miss). */
const LEASE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * The `client` label: the front door's client name (AIKEYS_GATEWAY_TOKENS, a configured set), or
 * `queue` for jobs a producer added directly; so spend splits by application.
 */
export const DIRECT_CLIENT = 'queue';

export interface JobMetrics {
  /** Calls, tokens, cost and calls in flight, summed here and collected by the four metrics below. */
  readonly calls: CallCounters;
  readonly providerCalls: Counter<'provider' | 'model' | 'account' | 'key' | 'client' | 'outcome'>;
  readonly providerCallSeconds: Histogram<'provider' | 'model' | 'outcome'>;
  readonly keyWaitSeconds: Histogram<'provider'>;
  readonly leaseSeconds: Histogram<'provider' | 'result'>;
  readonly callsPerJob: Histogram<'provider' | 'result'>;
  readonly tokens: Counter<'provider' | 'model' | 'account' | 'key' | 'client' | 'kind'>;
  readonly costUsd: Counter<'provider' | 'model' | 'account' | 'key' | 'client'>;
  readonly inFlight: Gauge<'provider' | 'account' | 'key'>;
  readonly breakerTrips: Counter<'provider'>;
  readonly providerPaused: Counter<'provider'>;
}

export function registerJobMetrics(registry: Registry): JobMetrics {
  const registers = [registry];
  const n = JOB_METRIC_NAMES;
  // Made once the metrics it feeds exist; a collection can only come after that.
  const made: { calls?: CallCounters } = {};
  const collect = () => made.calls?.flush();
  const metrics = {
    providerCalls: new Counter({
      name: n.providerCalls,
      help: `Provider calls by outcome (${CALL_OUTCOMES.join(', ')}; timeout = no HTTP response)`,
      labelNames: [...KEY_LABELS, 'client', 'outcome'],
      registers,
      collect,
    }),
    providerCallSeconds: new Histogram({
      name: n.providerCallSeconds,
      help: 'Provider call latency, from the lease to the release of the key that made it',
      labelNames: ['provider', 'model', 'outcome'],
      buckets: CALL_BUCKETS,
      registers,
    }),
    keyWaitSeconds: new Histogram({
      name: n.keyWaitSeconds,
      help: 'Time from a job being due to its first key lease (queued for a worker, or delayed because no key could serve)',
      labelNames: ['provider'],
      buckets: WAIT_BUCKETS,
      registers,
    }),
    leaseSeconds: new Histogram({
      name: n.leaseSeconds,
      help: 'Latency of one lease request (result: leased, no_key, error)',
      labelNames: ['provider', 'result'],
      buckets: LEASE_BUCKETS,
      registers,
    }),
    callsPerJob: new Histogram({
      name: n.callsPerJob,
      help: 'Provider calls made by one job run (1 = no retry), by how the run ended (completed, failed, delayed)',
      labelNames: ['provider', 'result'],
      buckets: [0, 1, 2, 3, 4, 5, 6, 8, 10],
      registers,
    }),
    tokens: new Counter({
      name: n.tokens,
      help: 'Tokens used by successful provider calls (kind: prompt, completion)',
      labelNames: [...KEY_LABELS, 'client', 'kind'],
      registers,
      collect,
    }),
    costUsd: new Counter({
      name: n.costUsd,
      help: 'Estimated cost in USD of successful provider calls, from the price table',
      labelNames: [...KEY_LABELS, 'client'],
      registers,
      collect,
    }),
    inFlight: new Gauge({
      name: n.inFlight,
      help: 'Provider calls in flight in this process, per key',
      labelNames: ['provider', 'account', 'key'],
      registers,
      collect,
    }),
    breakerTrips: new Counter({
      name: n.breakerTrips,
      help: "Times a provider's circuit breaker opened (the provider is paused) after failures across its keys",
      labelNames: ['provider'],
      registers,
    }),
    providerPaused: new Counter({
      name: n.providerPaused,
      help: 'Lease requests refused because the provider is paused by its circuit breaker',
      labelNames: ['provider'],
      registers,
    }),
  };
  made.calls = new CallCounters(metrics);
  return { ...metrics, calls: made.calls };
}
