import type { Secret } from '../core/secret.js';
import { failureFromSdkError } from './sdk-failure.js';
import type { ChatCallOptions, ChatResult } from './types.js';

/**
 * What every official-client provider does around its one request: pass the caller's abort signal,
 * read the reply as-is, and turn any thrown SDK error into a classified failure.
 */
export async function callThroughSdk(
  context: { provider: string; secret: Secret; callOptions: ChatCallOptions; now: () => number },
  send: (requestOptions: { signal?: AbortSignal }) => Promise<unknown>,
  read: (reply: unknown) => ChatResult,
): Promise<ChatResult> {
  const { provider, secret, callOptions } = context;
  const signal = callOptions.signal === undefined ? {} : { signal: callOptions.signal };
  try {
    return read(await send(signal));
  } catch (error) {
    return failureFromSdkError(error, {
      provider,
      secret,
      timeoutMs: callOptions.timeoutMs,
      now: context.now(),
      ...signal,
    });
  }
}
