/**
 * How the simulated provider treats a key, chosen by the key's own value so that a test or a demo
 * only has to write keys into its env file. Grammar (anything else, `sim-` or not, answers OK):
 *
 * | key starts with          | behaviour                                                         |
 * |--------------------------|-------------------------------------------------------------------|
 * | `sim-401-`               | 401 invalid key, always                                           |
 * | `sim-402-`               | 402 insufficient_quota, always                                    |
 * | `sim-quota-`             | 429 insufficient_quota (how OpenAI reports an empty balance)      |
 * | `sim-429-<s>-`           | 429 with `Retry-After: <s>`, always                               |
 * | `sim-429-<s>x<m>-`       | 429 with `Retry-After: <s>` for this key's first <m> requests, then OK |
 * | `sim-429-<s>w-`          | 429 for <s> seconds from this key's first request, then OK; Retry-After = seconds left |
 * | `sim-500-`               | 500, always                                                       |
 * | `sim-flaky<p>-`          | 500 with probability <p>% (seeded RNG: the same run gives the same answers) |
 * | `sim-slow<ms>-`          | OK after an extra <ms> milliseconds (set it above the client timeout) |
 * | `sim-garbage-`           | 200 with a body that is not JSON                                  |
 * | `sim-hollow-`            | 200 with JSON that is not a reply (`{}`)                          |
 * | `sim-nousage-`           | OK, but no usage in the reply or the stream                       |
 * | `sim-midfail-`           | streamed: the first piece of text, then an error event; whole: 500 |
 * | `sim-drip<ms>-`          | OK; a streamed reply pauses <ms> milliseconds between pieces      |
 *
 * A model whose name starts with `missing-` gets 404 model_not_found for any key (a request error).
 * A `rules` map given to the server (exact key -> behaviour) takes precedence over the prefix.
 */

export type KeyBehaviour =
  | { readonly kind: 'ok' }
  | { readonly kind: 'auth_failed' }
  | { readonly kind: 'payment_required' }
  | { readonly kind: 'insufficient_quota' }
  | {
      readonly kind: 'rate_limited';
      readonly retryAfterSeconds: number;
      /** Only this key's first N requests are limited. */
      readonly firstRequests?: number;
      /** Only requests within this many seconds of this key's first request are limited. */
      readonly windowSeconds?: number;
    }
  | { readonly kind: 'server_error' }
  | { readonly kind: 'flaky'; readonly percent: number }
  | { readonly kind: 'slow'; readonly delayMs: number }
  | { readonly kind: 'garbage' }
  | { readonly kind: 'hollow' }
  | { readonly kind: 'no_usage' }
  | { readonly kind: 'mid_stream_failure' }
  | { readonly kind: 'drip'; readonly pieceDelayMs: number };

const OK: KeyBehaviour = Object.freeze({ kind: 'ok' });

export function behaviourForKey(key: string): KeyBehaviour {
  if (!key.startsWith('sim-')) return OK;
  if (key.startsWith('sim-401-')) return { kind: 'auth_failed' };
  if (key.startsWith('sim-402-')) return { kind: 'payment_required' };
  if (key.startsWith('sim-quota-')) return { kind: 'insufficient_quota' };
  if (key.startsWith('sim-500-')) return { kind: 'server_error' };
  if (key.startsWith('sim-garbage-')) return { kind: 'garbage' };
  if (key.startsWith('sim-hollow-')) return { kind: 'hollow' };
  if (key.startsWith('sim-nousage-')) return { kind: 'no_usage' };
  if (key.startsWith('sim-midfail-')) return { kind: 'mid_stream_failure' };
  const drip = /^sim-drip(\d+)-/.exec(key);
  if (drip !== null) return { kind: 'drip', pieceDelayMs: Number(drip[1]) };

  const limited = /^sim-429-(\d+)(?:x(\d+)|(w))?-/.exec(key);
  if (limited !== null) {
    const retryAfterSeconds = Number(limited[1]);
    if (limited[2] !== undefined)
      return { kind: 'rate_limited', retryAfterSeconds, firstRequests: Number(limited[2]) };
    if (limited[3] !== undefined)
      return { kind: 'rate_limited', retryAfterSeconds, windowSeconds: retryAfterSeconds };
    return { kind: 'rate_limited', retryAfterSeconds };
  }
  const flaky = /^sim-flaky(\d+)-/.exec(key);
  if (flaky !== null) return { kind: 'flaky', percent: Math.min(100, Number(flaky[1])) };
  const slow = /^sim-slow(\d+)-/.exec(key);
  if (slow !== null) return { kind: 'slow', delayMs: Number(slow[1]) };
  return OK;
}
