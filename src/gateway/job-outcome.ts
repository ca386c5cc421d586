/**
 * From a job's failure reason or missed deadline to the HTTP error an application sees. The reasons
 * are written by the job processor (src/jobs/call-provider.ts) for operators and never carry a key,
 * so they are passed on as the message; their opening words say which kind of failure it was.
 */
import { gatewayError, type GatewayError } from './wire-errors.js';

/**
 * Retry-After when the pool gave up finding a key (after AI_NO_KEY_WAIT_MS): the job no longer
 * knows when one frees, and a minute is the usual window of the per-minute limits that cause it.
 */
export const NO_KEY_RETRY_AFTER_SECONDS = 60;

/** The last upstream status a summary names ("key_2: HTTP 401 ..."); "no response" is 0. */
export function lastUpstreamStatus(reason: string): number | undefined {
  const matches = [...reason.matchAll(/(?:HTTP (\d{3})|no response)/g)];
  const last = matches.at(-1);
  if (last === undefined) return undefined;
  return last[1] === undefined ? 0 : Number(last[1]);
}

export function errorForFailure(reason: string): GatewayError {
  if (reason.startsWith('No available API keys')) {
    return gatewayError('no_key', 429, reason, NO_KEY_RETRY_AFTER_SECONDS);
  }
  if (reason.startsWith('Invalid job data')) return gatewayError('invalid_request', 400, reason);
  if (reason.startsWith('Request rejected by')) {
    const upstream = lastUpstreamStatus(reason);
    if (upstream === 404) return gatewayError('not_found', 404, reason);
    if (upstream === 413) return gatewayError('too_large', 413, reason);
    return gatewayError('invalid_request', 400, reason);
  }
  const upstream = lastUpstreamStatus(reason);
  const named =
    upstream === undefined
      ? 'no upstream call completed'
      : upstream === 0
        ? 'last upstream call got no response'
        : `last upstream status ${upstream}`;
  return gatewayError('upstream_failed', 502, `Upstream failed after all retries (${named}): ${reason}`);
}

/**
 * The deadline passed. A delayed job is waiting for a key (it holds none while it waits): that is a
 * rate limit, answered 429 with when one may free. Otherwise the queue or the call was too slow: 504.
 */
export function errorForTimeout(
  state: string,
  retryAtMs: number | null,
  timeoutMs: number,
  now: number,
): GatewayError {
  if (state === 'delayed') {
    const seconds = retryAtMs === null ? 1 : Math.max(1, Math.ceil((retryAtMs - now) / 1000));
    return gatewayError(
      'no_key',
      429,
      `No key of the pool could serve this request within ${timeoutMs} ms (AIKEYS_GATEWAY_TIMEOUT_MS); retry after ${seconds} s`,
      seconds,
    );
  }
  return gatewayError(
    'timeout',
    504,
    `No answer within ${timeoutMs} ms (AIKEYS_GATEWAY_TIMEOUT_MS); the job was ${state === 'active' ? 'still running' : state}`,
  );
}
