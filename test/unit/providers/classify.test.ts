import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/core/secret.js';
import { classifyHttpFailure, classifyNoResponse, unreadableReply } from '../../../src/providers/classify.js';
import { parseDurationMs, retryAfterMsFromHeaders } from '../../../src/providers/retry-after.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');

function classify(status: number, body?: unknown, headers?: Record<string, string>) {
  return classifyHttpFailure({ provider: 'openai', status, body, headers: new Headers(headers), now: NOW });
}

describe('classifyHttpFailure', () => {
  it.each([
    [401, undefined, { kind: 'auth_failed', status: 401 }],
    [
      403,
      { error: { message: 'Project does not have access to model' } },
      { kind: 'auth_failed', status: 403 },
    ],
    [402, undefined, { kind: 'quota_exhausted' }],
    [
      429,
      { error: { code: 'insufficient_quota', message: 'You exceeded your current quota' } },
      { kind: 'quota_exhausted' },
    ],
    [429, { error: { message: 'Please check your plan and billing details' } }, { kind: 'quota_exhausted' }],
    [403, { error: { message: 'Your credit balance is exhausted' } }, { kind: 'quota_exhausted' }],
    [
      400,
      { type: 'error', error: { message: 'Your credit balance is too low to access the Anthropic API.' } },
      { kind: 'quota_exhausted' },
    ],
    [429, { error: { message: 'Rate limit reached' } }, { kind: 'rate_limited' }],
    [500, undefined, { kind: 'server_error', status: 500 }],
    [502, '<html>Bad gateway</html>', { kind: 'server_error', status: 502 }],
    [503, undefined, { kind: 'server_error', status: 503 }],
    [529, { type: 'error', error: { type: 'overloaded_error' } }, { kind: 'server_error', status: 529 }],
    [408, undefined, { kind: 'server_error', status: 408 }],
    [400, { error: { message: 'Invalid model' } }, { kind: 'request_error', status: 400 }],
    [404, undefined, { kind: 'request_error', status: 404 }],
    [413, undefined, { kind: 'request_error', status: 413 }],
    [422, undefined, { kind: 'request_error', status: 422 }],
  ] as const)('HTTP %i %j -> %j', (status, body, outcome) => {
    const result = classify(status, body);
    expect(result.ok).toBe(false);
    expect(result.outcome).toEqual(outcome);
    expect(result.status).toBe(status);
    expect(result.message).toContain(`HTTP ${status}`);
  });

  it('gives a 429 its Retry-After in seconds', () => {
    const result = classify(429, undefined, { 'retry-after': '20' });
    expect(result.outcome).toEqual({ kind: 'rate_limited', retryAfterMs: 20_000 });
    expect(result.retryAfterMs).toBe(20_000);
  });

  it('reads Retry-After as an HTTP date', () => {
    const at = new Date(NOW + 90_000).toUTCString();
    expect(classify(429, undefined, { 'retry-after': at }).retryAfterMs).toBe(90_000);
  });

  it('reads retry-after-ms', () => {
    expect(classify(429, undefined, { 'retry-after-ms': '1500' }).retryAfterMs).toBe(1500);
  });

  it('reads OpenAI reset durations and takes the latest that applies', () => {
    const headers = {
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '6m0s',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '1.5s',
    };
    expect(classify(429, undefined, headers).retryAfterMs).toBe(360_000);
  });

  it('ignores a reset whose limit still has room', () => {
    const headers = {
      'x-ratelimit-remaining-requests': '4999',
      'x-ratelimit-reset-requests': '6m0s',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '20ms',
    };
    expect(classify(429, undefined, headers).retryAfterMs).toBe(20);
  });

  it('reads Anthropic RFC 3339 reset times', () => {
    const headers = {
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': new Date(NOW + 30_000).toISOString(),
      'anthropic-ratelimit-tokens-remaining': '0',
      'anthropic-ratelimit-tokens-reset': new Date(NOW + 45_000).toISOString(),
      'retry-after': '10',
    };
    expect(classify(429, undefined, headers).retryAfterMs).toBe(45_000);
  });

  it('leaves retryAfterMs out when no header says', () => {
    const result = classify(429);
    expect(result.retryAfterMs).toBeUndefined();
    expect(result.outcome).toEqual({ kind: 'rate_limited' });
  });

  it('accepts plain-object headers, case-insensitively', () => {
    const result = classifyHttpFailure({
      provider: 'x',
      status: 429,
      headers: { 'Retry-After': '3' },
      now: NOW,
    });
    expect(result.retryAfterMs).toBe(3000);
  });

  it('strips the key and key-like strings from the message', () => {
    const secret = new Secret('my-very-own-secret-key-123');
    const result = classifyHttpFailure({
      provider: 'openai',
      status: 401,
      detail: `Incorrect API key provided: my-very-own-secret-key-123 (also sk-proj-abcdef123456 and sk-proj-****wxyz)`,
      secret,
      now: NOW,
    });
    expect(result.message).not.toContain('my-very-own-secret-key-123');
    expect(result.message).not.toContain('sk-proj-abcdef123456');
    expect(result.message).not.toContain('wxyz');
    expect(result.message).toContain('[redacted]');
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['6m0s', 360_000],
    ['1.5s', 1500],
    ['20ms', 20],
    ['1h2m3s', 3_723_000],
    ['2', 2000],
    ['soon', undefined],
    ['', undefined],
  ])('%s -> %s', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });
});

describe('retryAfterMsFromHeaders', () => {
  it('never returns a negative wait for a date in the past', () => {
    expect(
      retryAfterMsFromHeaders(new Headers({ 'retry-after': new Date(NOW - 5000).toUTCString() }), NOW),
    ).toBe(0);
  });
  it('ignores unreadable values', () => {
    expect(
      retryAfterMsFromHeaders(new Headers({ 'retry-after': 'later', 'retry-after-ms': 'x' }), NOW),
    ).toBeUndefined();
  });
});

describe('no response and unreadable replies', () => {
  it('a timeout is a server_error with status 0', () => {
    expect(classifyNoResponse('openai', 'timeout', 'no response within 10 ms')).toMatchObject({
      outcome: { kind: 'server_error', status: 0 },
      status: 0,
    });
  });
  it('a refused connection is a server_error with status 0', () => {
    expect(classifyNoResponse('openai', 'connection', 'ECONNREFUSED').outcome).toEqual({
      kind: 'server_error',
      status: 0,
    });
  });
  it('an abort by the caller is not the key fault', () => {
    expect(classifyNoResponse('openai', 'aborted', '').outcome).toEqual({ kind: 'request_error', status: 0 });
  });
  it('an unreadable reply is a server_error that says so', () => {
    const result = unreadableReply('openai', 200, 'no choices');
    expect(result.outcome).toEqual({ kind: 'server_error', status: 200 });
    expect(result.message).toBe('openai returned an unreadable reply: no choices');
  });
});
