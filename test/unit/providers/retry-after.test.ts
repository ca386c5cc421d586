import { describe, expect, it } from 'vitest';
import { BLOCK_CEILING_MS, capBlockMs } from '../../../src/core/block-limits.js';
import { parseDurationMs, retryAfterMsFromHeaders } from '../../../src/providers/retry-after.js';

const NOW = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;
/** Go's largest time.Duration, as `Duration.String()` prints it. */
const GO_MAX_DURATION = '2562047h47m16.854775807s';

function wait(headers: Record<string, string>, maxMs?: number): number | undefined {
  return retryAfterMsFromHeaders(headers, NOW, maxMs);
}

/** Every answer must be a whole number of ms a Date can hold and Redis can add to now. */
function expectSane(ms: number | undefined, maxMs: number): void {
  expect(ms).toBeDefined();
  expect(Number.isSafeInteger(ms)).toBe(true);
  expect(ms).toBeGreaterThanOrEqual(0);
  expect(ms).toBeLessThanOrEqual(maxMs);
  expect(Number.isNaN(new Date(NOW + ms!).getTime())).toBe(false);
}

describe('rate-limit headers are capped at the longest block', () => {
  const absurd: [string, Record<string, string>][] = [
    ['Retry-After in seconds', { 'retry-after': '99999999999' }],
    ['Retry-After with 60 digits', { 'retry-after': '9'.repeat(60) }],
    ['Retry-After as a far HTTP date', { 'retry-after': 'Fri, 31 Dec 9999 23:59:59 GMT' }],
    ['retry-after-ms', { 'retry-after-ms': '99999999999999999999' }],
    ['Go duration at its maximum', { 'x-ratelimit-reset-requests': GO_MAX_DURATION }],
    ['Go duration of 10^60 hours', { 'x-ratelimit-reset-tokens': `${'9'.repeat(60)}h` }],
    ['RFC 3339 reset far ahead', { 'anthropic-ratelimit-requests-reset': '9999-12-31T23:59:59Z' }],
  ];

  for (const [form, headers] of absurd) {
    it(`${form}: capped at the given maximum`, () => {
      const ms = wait(headers, DAY_MS);
      expectSane(ms, DAY_MS);
      expect(ms).toBe(DAY_MS);
    });
    it(`${form}: capped at the ceiling when no maximum is given`, () => {
      expect(wait(headers)).toBe(BLOCK_CEILING_MS);
    });
  }

  it('leaves waits under the cap as they are, in every form', () => {
    expect(wait({ 'retry-after': '20' }, DAY_MS)).toBe(20_000);
    expect(wait({ 'retry-after': new Date(NOW + 90_000).toUTCString() }, DAY_MS)).toBe(90_000);
    expect(wait({ 'retry-after-ms': '1500' }, DAY_MS)).toBe(1500);
    expect(wait({ 'x-ratelimit-reset-requests': '6m0s' }, DAY_MS)).toBe(360_000);
    expect(wait({ 'x-ratelimit-reset-tokens': '1.5s' }, DAY_MS)).toBe(1500);
    expect(wait({ 'anthropic-ratelimit-tokens-reset': new Date(NOW + 45_000).toISOString() }, DAY_MS)).toBe(
      45_000,
    );
  });

  it('a reading just over the cap comes back as the cap', () => {
    expect(wait({ 'retry-after': String(DAY_MS / 1000 + 1) }, DAY_MS)).toBe(DAY_MS);
  });

  it('the latest wait still wins once capped, and a sane one next to an absurd one does not undo the cap', () => {
    const ms = wait({ 'retry-after': '10', 'x-ratelimit-reset-requests': GO_MAX_DURATION }, DAY_MS);
    expect(ms).toBe(DAY_MS);
  });

  it('ignores values that cannot be read, or are too long to be a header, so the default block applies', () => {
    expect(wait({ 'retry-after': '-5' })).toBeUndefined();
    expect(wait({ 'retry-after': 'soon' })).toBeUndefined();
    expect(wait({ 'retry-after': '1'.repeat(65) })).toBeUndefined();
    expect(wait({ 'retry-after-ms': 'NaN' })).toBeUndefined();
    expect(wait({ 'retry-after-ms': 'Infinity' })).toBeUndefined();
    expect(wait({ 'x-ratelimit-reset-requests': '1h'.repeat(40) })).toBeUndefined();
    expect(wait({ 'anthropic-ratelimit-requests-reset': '+275760-09-14T00:00:00Z' })).toBeUndefined();
  });

  it('parseDurationMs reads Go durations, huge ones included (the caller caps)', () => {
    expect(parseDurationMs(GO_MAX_DURATION)).toBeCloseTo(9_223_372_036_854.775, 0);
    expect(parseDurationMs(`${'9'.repeat(60)}h`)).toBeGreaterThan(1e66);
  });
});

describe('capBlockMs', () => {
  it('gives a whole number of ms within 0..max for any number', () => {
    expect(capBlockMs(1500.4, DAY_MS)).toBe(1500);
    expect(capBlockMs(-1, DAY_MS)).toBe(0);
    expect(capBlockMs(Infinity, DAY_MS)).toBe(DAY_MS);
    expect(capBlockMs(-Infinity, DAY_MS)).toBe(0);
    expect(capBlockMs(Number.NaN, DAY_MS)).toBe(DAY_MS);
    expect(capBlockMs(1e300, DAY_MS)).toBe(DAY_MS);
  });
});
