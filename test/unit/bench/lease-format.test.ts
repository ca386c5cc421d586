import { describe, expect, it } from 'vitest';
import { formatLeaseBench, type LeaseBenchRow } from '../../../bench/lease.js';

function row(keys: number, concurrency: number, roundRates: number[]): LeaseBenchRow {
  const perSecond = roundRates.reduce((a, b) => a + b, 0) / roundRates.length;
  const loop = { ops: 1000, perSecond, p50Ms: 1, p99Ms: 2 };
  return {
    keys,
    concurrency,
    lease: loop,
    leaseRoundRates: roundRates,
    ceiling: { ...loop, perSecond: 2 * perSecond },
    ceilingRoundRates: roundRates.map((r) => 2 * r),
    ratio: 0.5,
    benchmarkCeiling: null,
    benchmarkRatio: null,
    redisUsPerPair: 10,
    ceilingRedisUsPerPair: 1,
    redisCpuUsPerPair: 12,
  };
}

describe('formatLeaseBench', () => {
  it('compares the largest pool with each smaller one, per caller count, overall and per slice round', () => {
    const text = formatLeaseBench([
      row(10, 16, [100, 200]),
      row(100, 16, [90, 180]),
      row(10_000, 16, [80, 220]),
      row(10, 64, [100, 100]),
      row(10_000, 64, [50, 50]),
    ]);
    expect(text).toContain(
      '10,000 vs 10 keys at 16 callers: 1.00x (median 0.95, range 0.80-1.10 over 2 slice rounds)',
    );
    expect(text).toContain('10,000 vs 100 keys at 16 callers: 1.11x');
    expect(text).toContain('10,000 vs 10 keys at 64 callers: 0.50x');
    expect(text).not.toContain('vs 100 keys at 64 callers');
  });
});
