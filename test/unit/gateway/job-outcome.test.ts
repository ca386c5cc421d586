import { describe, expect, it } from 'vitest';
import { errorForFailure, errorForTimeout, lastUpstreamStatus } from '../../../src/gateway/job-outcome.js';
import { errorBodyFor } from '../../../src/gateway/wire-errors.js';

describe('job failures as HTTP errors', () => {
  it('answers 429 with Retry-After when no key could serve', () => {
    const error = errorForFailure('No available API keys: every key of openai is blocked');
    expect(error).toMatchObject({ status: 429, kind: 'no_key', retryAfterSeconds: 60 });
    expect(error.message).toContain('every key of openai is blocked');
  });

  it('answers 502 naming the last upstream status after all retries', () => {
    const error = errorForFailure('All 2 attempts failed: key_1: HTTP 401 invalid key; key_2: HTTP 500 boom');
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/^Upstream failed after all retries \(last upstream status 500\): All 2/);
    expect(lastUpstreamStatus('key_1: HTTP 401 x; key_2: no response')).toBe(0);
  });

  it('passes a request error on with its status', () => {
    expect(
      errorForFailure('Request rejected by openai (key_1: HTTP 404 no such model); not retried'),
    ).toMatchObject({
      status: 404,
      kind: 'not_found',
    });
    expect(errorForFailure('Request rejected by openai (key_1: HTTP 400 bad); not retried').status).toBe(400);
  });

  it('tells a job waiting for a key (429) from a slow one (504) at the deadline', () => {
    const waiting = errorForTimeout('delayed', 10_500, 2_000, 1_000);
    expect(waiting).toMatchObject({ status: 429, retryAfterSeconds: 10 });
    expect(errorForTimeout('active', null, 2_000, 1_000)).toMatchObject({ status: 504, kind: 'timeout' });
  });
});

describe('error shapes', () => {
  const error = errorForFailure('No available API keys: none');
  it('speaks OpenAI', () => {
    expect(errorBodyFor('openai', error)).toEqual({
      error: { message: error.message, type: 'rate_limit_error', code: 'no_key_available', param: null },
    });
  });
  it('speaks Anthropic', () => {
    expect(errorBodyFor('anthropic', error)).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: error.message },
    });
  });
});
