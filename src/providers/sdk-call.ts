import type { Secret } from '../core/secret.js';
import { classifyNoResponse } from './classify.js';
import { failureFromSdkError } from './sdk-failure.js';
import type { ChatCallOptions, ChatResult } from './types.js';

/**
 * What every official-client provider does around its one request: pass the caller's abort signal,
 * read the reply as-is, and turn any thrown SDK error into a classified failure.
 *
 * The SDKs' own `timeout` ends a call only while it waits for the response headers: a server that
 * sends its headers and then trickles the body (one byte every 200 ms, tested) held a call for the
 * whole body, 40 s and more against a 1 s timeout, with its key leased and its job locked
 * meanwhile. So the call also gets a deadline of its own, `timeoutMs` after it starts, joined to the
 * caller's signal; a call ended by it is a timeout like any other (status 0, the outcome
 * classifyNoResponse gives a timeout), so the key is treated the same either way.
 */
export async function callThroughSdk(
  context: { provider: string; secret: Secret; callOptions: ChatCallOptions; now: () => number },
  send: (requestOptions: { signal?: AbortSignal }) => Promise<unknown>,
  read: (reply: unknown) => ChatResult,
): Promise<ChatResult> {
  const { provider, secret, callOptions } = context;
  const { timeoutMs } = callOptions;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const signal =
    callOptions.signal === undefined
      ? deadline.signal
      : AbortSignal.any([callOptions.signal, deadline.signal]);
  try {
    return read(await send({ signal }));
  } catch (error) {
    // The caller's abort stays the caller's (not the key's fault), even if the deadline passed too.
    if (deadline.signal.aborted && callOptions.signal?.aborted !== true) {
      return classifyNoResponse(provider, 'timeout', `no response within ${timeoutMs} ms`, secret);
    }
    return failureFromSdkError(error, {
      provider,
      secret,
      timeoutMs,
      now: context.now(),
      ...(callOptions.signal === undefined ? {} : { signal: callOptions.signal }),
    });
  } finally {
    clearTimeout(timer);
  }
}
