import type { Secret } from '../core/secret.js';
import { classifyNoResponse } from './classify.js';
import { failureFromSdkError } from './sdk-failure.js';
import type { ChatCallOptions, ChatFailure } from './types.js';

/**
 * Every provider call's deadline, plain or streamed, joined to the caller's abort signal, and how
 * an error thrown under it reads.
 *
 * A timeout that covers only the wait for the response headers (the SDKs' own `timeout`) is not
 * enough: a server that sends its headers and then trickles the body (one byte every 200 ms,
 * tested) held a call for the whole body, 40 s and more against a 1 s timeout, with its key leased and its job locked
 * meanwhile. So the call also gets a deadline of its own, `timeoutMs` after it starts, joined to the
 * caller's signal; a call ended by it is a timeout like any other (status 0, the outcome
 * classifyNoResponse gives a timeout), so the key is treated the same either way.
 */
export interface CallContext {
  readonly provider: string;
  readonly secret: Secret;
  readonly callOptions: ChatCallOptions;
  readonly now: () => number;
}

/** The call's own deadline joined to the caller's signal, and how an error thrown under it reads. */
export interface CallDeadline {
  readonly signal: AbortSignal;
  /** The failure an SDK error stands for: a timeout when the deadline (not the caller) ended the call. */
  failureOf(error: unknown, timeoutMessage: string): ChatFailure;
  clear(): void;
}

export function startCallDeadline(context: CallContext): CallDeadline {
  const { provider, secret, callOptions } = context;
  const { timeoutMs } = callOptions;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const signal =
    callOptions.signal === undefined
      ? deadline.signal
      : AbortSignal.any([callOptions.signal, deadline.signal]);
  return {
    signal,
    failureOf(error, timeoutMessage) {
      // The caller's abort stays the caller's (not the key's fault), even if the deadline passed too.
      if (deadline.signal.aborted && callOptions.signal?.aborted !== true) {
        return classifyNoResponse(provider, 'timeout', timeoutMessage, secret);
      }
      return failureFromSdkError(error, {
        provider,
        secret,
        timeoutMs,
        now: context.now(),
        ...(callOptions.signal === undefined ? {} : { signal: callOptions.signal }),
      });
    },
    clear: () => clearTimeout(timer),
  };
}
