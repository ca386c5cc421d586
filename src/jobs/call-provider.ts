/**
 * The AI job processor, as a plain function: validate, lease the best key, call the provider,
 * release the key with what happened, and on a key-caused failure try again at once on another key.
 *
 * - A request-caused failure (400, 404, 413) fails the job without penalising the key.
 * - When no key can serve, the job is delayed until the earliest moment one could (it holds no
 *   lease while it waits) and fails with "No available API keys: <why>" only after AI_NO_KEY_WAIT_MS.
 */
import { randomUUID } from 'node:crypto';
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { Logger } from '../core/logger.js';
import { isKeyCausedFailure } from '../lease/outcome.js';
import { checkJobData, type AiJobResult, type CallAttempt, type ValidAiJobData } from './job-schema.js';
import type { LeaseAnswer, LeaseRequest } from '../lease/types.js';
import { outcomeOf, paidUsage, summarise, usageRecord } from './call-record.js';
import { callLeasedKey, closeReply } from './provider-call.js';
import type { ReplyStreams } from './reply-sink.js';
import type { KeyLeaser, NoKeyWaits, PriceLookup, ProviderLookup } from './ports.js';
import { nextDailyReset } from './daily-reset-time.js';

export interface CallProviderSettings {
  defaultProvider: string;
  maxRetries: number;
  retryDelayMs: number;
  requestTimeoutMs: number;
  noKeyWaitMs: number;
  /** AI_MAX_PROMPT_BYTES: larger jobs fail at once. */
  maxPromptBytes: number;
}

export interface CallProviderDeps {
  leaser: KeyLeaser;
  providers: ProviderLookup;
  prices: PriceLookup;
  waits: NoKeyWaits;
  estimateTokens(messages: ValidAiJobData['messages'], maxTokens?: number): number;
  settings: CallProviderSettings;
  logger: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Aborts in-flight provider calls on a hard shutdown. */
  signal?: AbortSignal;
  /** Where a streamed job's reply goes; absent: streamed jobs are answered whole. */
  replies?: ReplyStreams;
}

/** The part of a BullMQ job the processor uses. */
export interface AiJobHandle {
  readonly id?: string;
  readonly data: unknown;
  readonly attemptsStarted: number;
  moveToDelayed(timestamp: number, token?: string): Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function callProvider(
  job: AiJobHandle,
  token: string | undefined,
  deps: CallProviderDeps,
): Promise<AiJobResult> {
  const check = checkJobData(job.data, { maxPromptBytes: deps.settings.maxPromptBytes });
  if (!check.ok) throw new UnrecoverableError(check.message);
  const data = check.data;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const { settings } = deps;
  const jobId = job.id ?? 'unknown';
  const provider = data.provider ?? settings.defaultProvider;
  const chat = deps.providers.get(provider);
  const estimatedTokens = deps.estimateTokens(data.messages, data.maxTokens);
  const attempts: CallAttempt[] = [];
  const tried: number[] = [];
  const sink = data.stream === true ? deps.replies?.open(jobId, job.attemptsStarted) : undefined;

  for (let call = 1; call <= settings.maxRetries + 1; call++) {
    let answer: LeaseAnswer;
    try {
      answer = await leaseUntriedKey(deps, sleep, now, {
        provider,
        model: data.model,
        estimatedTokens,
        excludeKeyIds: tried,
      });
    } catch (error) {
      if (attempts.length > 0) throw error;
      return retryLater(job, token, deps, error);
    }
    if (!answer.ok) {
      if (attempts.length > 0 && answer.onlyTriedKeysAvailable) {
        throw new Error(`All keys that could serve failed: ${summarise(attempts)}`);
      }
      const why = await deps.leaser.describeNoKey(provider, answer);
      return waitForKey(job, token, deps, why, answer.retryAtMs, attempts);
    }
    const key = answer.key;
    tried.push(key.keyId);
    // The call's identity in ai_request_logs, minted before the call: unlike the job id it is never
    // reused (BullMQ's ids start again at 1 after Redis loses its data), and a replayed record keeps it.
    const callId = randomUUID();
    const result = await callLeasedKey({
      chat,
      key,
      data,
      timeoutMs: settings.requestTimeoutMs,
      signal: deps.signal,
      sink,
    });
    const attempt: CallAttempt = {
      keyName: key.keyName,
      status: result.status,
      error: result.ok ? null : result.message,
    };
    // Before the release: the client reads the end of its reply without waiting for the accounting.
    const replyError = await closeReply(sink, result, () => summarise([attempt]));
    const paid = paidUsage(result);
    const cost = paid.totalTokens > 0 ? deps.prices.costOf(key.model, paid) : 0;
    const record = usageRecord(
      key,
      result,
      cost,
      { id: jobId, run: job.attemptsStarted, attempt: call, callId, client: data.client },
      now(),
    );
    try {
      await deps.leaser.release(key, outcomeOf(result, cost), record);
    } catch (error) {
      // The call happened; failing the job now would lose its answer. The lease expires by itself.
      deps.logger.error(
        { jobId, keyName: key.keyName, err: error },
        'could not release the key after its call',
      );
    }
    attempts.push(attempt);
    if (replyError !== undefined) throw replyError;

    if (result.ok) {
      // Only a job that ran before (after a wait for a key, or a crash) can have a wait record.
      if (job.attemptsStarted > 1) await deps.waits.clear(jobId);
      return {
        content: result.content,
        provider: key.provider,
        model: key.model,
        keyName: key.keyName,
        usage: { ...result.usage },
        estimatedCost: cost,
        attempts,
        ...(result.finishReason === undefined ? {} : { finishReason: result.finishReason }),
      };
    }
    if (sink?.started === true) {
      // Text already reached the client: another key's answer cannot be spliced onto it.
      throw new UnrecoverableError(
        `Stream broke after its first chunk (${summarise(attempts.slice(-1))}); not retried`,
      );
    }
    if (!isKeyCausedFailure(result.outcome)) {
      throw new UnrecoverableError(
        `Request rejected by ${provider} (${summarise(attempts.slice(-1))}); not retried`,
      );
    }
    deps.logger.info(
      { jobId, keyName: key.keyName, status: result.status, outcome: result.outcome.kind },
      'provider call failed; trying another key',
    );
    if (call <= settings.maxRetries) await sleep(settings.retryDelayMs * call);
  }
  throw new Error(`All ${attempts.length} attempts failed: ${summarise(attempts)}`);
}

/** A "retry in a moment" answer counts as one at most this far ahead (the engine's hint is 500 ms). */
const BUSY_KEY_WAIT_MS = 1000;
/** And is waited for at most this many times in one attempt (about 10 s). */
const MAX_BUSY_KEY_WAITS = 20;

/**
 * A lease for a retry. Slow start holds a key that has not succeeded yet to one call in flight, so a
 * retry can find that every key it has not tried is busy for a moment: the engine then answers
 * "only tried keys could serve" with a short retry hint. Failing the job there would fail work an
 * untried key serves a moment later; so a short hint is waited out in the job, a few times, before
 * the answer is taken as it stands.
 */
async function leaseUntriedKey(
  deps: CallProviderDeps,
  sleep: (ms: number) => Promise<void>,
  now: () => number,
  request: LeaseRequest,
): Promise<LeaseAnswer> {
  for (let waits = 0; ; waits++) {
    const answer = await deps.leaser.lease(request);
    if (answer.ok || !answer.onlyTriedKeysAvailable || (request.excludeKeyIds ?? []).length === 0)
      return answer;
    const waitMs = answer.retryAtMs === null ? Infinity : answer.retryAtMs - now();
    if (waitMs > BUSY_KEY_WAIT_MS || waits >= MAX_BUSY_KEY_WAITS) return answer;
    await sleep(Math.max(10, waitMs));
  }
}

async function waitForKey(
  job: AiJobHandle,
  token: string | undefined,
  deps: CallProviderDeps,
  reason: string,
  retryAtMs: number | null,
  attempts: readonly CallAttempt[],
): Promise<never> {
  const now = (deps.now ?? Date.now)();
  const jobId = job.id ?? 'unknown';
  const since = await deps.waits.since(jobId, now);
  const deadline = since + deps.settings.noKeyWaitMs;
  if (now >= deadline) {
    await deps.waits.clear(jobId);
    const tried = attempts.length ? ` (after ${summarise(attempts)})` : '';
    throw new UnrecoverableError(`No available API keys: ${reason}${tried}`);
  }
  const wakeAt = Math.min(retryAtMs ?? nextDailyReset(now), deadline);
  deps.logger.info(
    { jobId, reason, wakeAt: new Date(wakeAt).toISOString() },
    'no key can serve; job delayed',
  );
  // Delayed at least a little, so a key that frees itself "now" is not spun on.
  await job.moveToDelayed(Math.max(wakeAt, now + 50), token);
  throw new DelayedError();
}

/** Runs of one job after which an infrastructure error is no longer waited out. */
export const MAX_INFRA_RETRIES = 30;

/**
 * Leasing failed for a reason of our own (Redis or Postgres unreachable), before any provider call
 * in this run: the job is not the problem, so it waits and runs again rather than failing. Only the
 * queue's connection is used here, since the lease engine's may be the one that is down.
 */
async function retryLater(
  job: AiJobHandle,
  token: string | undefined,
  deps: CallProviderDeps,
  error: unknown,
): Promise<never> {
  if (job.attemptsStarted > MAX_INFRA_RETRIES) throw error;
  const delayMs = Math.min(30_000, 500 * 2 ** Math.min(job.attemptsStarted, 6));
  deps.logger.warn(
    { jobId: job.id, err: error, delayMs },
    'could not lease a key (infrastructure error); job delayed',
  );
  await job.moveToDelayed((deps.now ?? Date.now)() + delayMs, token);
  throw new DelayedError();
}
