import { describe, expect, it } from 'vitest';
import { LEASE_TTL_MARGIN_MS } from '../../../src/config/settings-schema.js';
import { ENCRYPTION_LINE, envText, expectProblem, parse } from './helpers.js';

const KEY = 'KEY_1=sk-lease-ttl-1111';

describe('AI_LEASE_TTL_MS against AI_REQUEST_TIMEOUT_MS', () => {
  it('refuses a lease TTL shorter than the request timeout, naming both settings and their values', () => {
    const problem = expectProblem(
      envText(ENCRYPTION_LINE, KEY, 'AI_REQUEST_TIMEOUT_MS=60000', 'AI_LEASE_TTL_MS=30000'),
      { line: 4, name: 'AI_LEASE_TTL_MS' },
      ['sk-lease-ttl-1111'],
    );
    expect(problem.message).toContain('AI_LEASE_TTL_MS (30000)');
    expect(problem.message).toContain('AI_REQUEST_TIMEOUT_MS (60000)');
    expect(problem.hint).toContain(`Raise AI_LEASE_TTL_MS to ${60000 + LEASE_TTL_MARGIN_MS}`);
  });

  it('refuses a TTL inside the margin, and points at the timeout when only it was set', () => {
    const within = expectProblem(
      envText(
        ENCRYPTION_LINE,
        KEY,
        `AI_LEASE_TTL_MS=${10_000 + LEASE_TTL_MARGIN_MS - 1}`,
        'AI_REQUEST_TIMEOUT_MS=10000',
      ),
      { line: 3, name: 'AI_LEASE_TTL_MS' },
    );
    expect(within.message).toMatch(/must be at least AI_REQUEST_TIMEOUT_MS/);
    // The default TTL (120000) with a timeout the schema allows but the TTL does not cover.
    const onlyTimeout = expectProblem(envText(ENCRYPTION_LINE, KEY, 'AI_REQUEST_TIMEOUT_MS=118000'), {
      line: 3,
      name: 'AI_REQUEST_TIMEOUT_MS',
    });
    expect(onlyTimeout.message).toContain('AI_LEASE_TTL_MS (120000)');
  });

  it('accepts a TTL that covers the timeout and its margin', () => {
    const config = parse(
      envText(
        ENCRYPTION_LINE,
        KEY,
        'AI_REQUEST_TIMEOUT_MS=10000',
        `AI_LEASE_TTL_MS=${10_000 + LEASE_TTL_MARGIN_MS}`,
      ),
    );
    expect(config.system.leaseTtlMs).toBe(10_000 + LEASE_TTL_MARGIN_MS);
    expect(parse(envText(ENCRYPTION_LINE, KEY)).system.leaseTtlMs).toBeGreaterThan(
      parse(envText(ENCRYPTION_LINE, KEY)).system.requestTimeoutMs,
    );
  });
});
