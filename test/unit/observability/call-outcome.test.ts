/** Every release outcome maps to one of the operator-facing outcome labels. */
import { describe, expect, it } from 'vitest';
import type { ReleaseOutcome } from '../../../src/lease/outcome.js';
import { CALL_OUTCOMES } from '../../../src/observability/job-metrics.js';
import { callOutcome } from '../../../src/observability/job-observer.js';

describe('callOutcome', () => {
  it.each<[ReleaseOutcome, number, string]>([
    [{ kind: 'success', tokens: 10 }, 200, 'success'],
    [{ kind: 'rate_limited' }, 429, 'rate_limited'],
    [{ kind: 'auth_failed', status: 401 }, 401, 'invalid_key'],
    [{ kind: 'quota_exhausted' }, 402, 'quota'],
    [{ kind: 'server_error', status: 503 }, 503, 'server_error'],
    [{ kind: 'server_error', status: 0 }, 0, 'timeout'],
    [{ kind: 'request_error', status: 400 }, 400, 'request_error'],
  ])('%o with HTTP %i is %s', (outcome, status, label) => {
    expect(callOutcome(outcome, status)).toBe(label);
    expect(CALL_OUTCOMES).toContain(label);
  });
});
