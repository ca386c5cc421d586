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

/**
 * One controller per call, aborted by the deadline or by the caller's signal. Joined by hand (a
 * listener removed when the call ends) rather than with `AbortSignal.any`, which ties a weak
 * reference and a finalization entry to every call: measurable CPU at thousands of calls a second.
 */
export function startCallDeadline(context: CallContext): CallDeadline {
  const { provider, secret, callOptions } = context;
  const { timeoutMs } = callOptions;
  const caller = callOptions.signal;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onCallerAbort = () => controller.abort(caller?.reason);
  if (caller?.aborted === true) onCallerAbort();
  else caller?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    failureOf(error, timeoutMessage) {
      // The caller's abort stays the caller's (not the key's fault), even if the deadline passed too.
      if (timedOut && caller?.aborted !== true) {
        return classifyNoResponse(provider, 'timeout', timeoutMessage, secret);
      }
      return failureFromSdkError(error, {
        provider,
        secret,
        timeoutMs,
        now: context.now(),
        ...(caller === undefined ? {} : { signal: caller }),
      });
    },
    clear() {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    },
  };
}
