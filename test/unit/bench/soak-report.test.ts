import { describe, expect, it } from 'vitest';
import { formatCheckpoint, growth, percentile, type Checkpoint } from '../../../bench/lib/soak-report.js';

const MB = 1024 * 1024;

function checkpoint(settled: number, rssMb: number, redisMb: number, heapMb = 80): Checkpoint {
  return {
    settled,
    failed: 1,
    jobsPerSecond: 250,
    latencies: [10, 20, 30, 40, 1000],
    rss: [rssMb * MB, rssMb * MB],
    heapAfterGc: [heapMb * MB, heapMb * MB],
    redisMemory: redisMb * MB,
    streamLength: 0,
  };
}

describe('soak report', () => {
  it('takes percentiles by rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([], 50)).toBeNaN();
  });

  it('prints one line per checkpoint', () => {
    expect(formatCheckpoint(checkpoint(5000, 200, 12))).toBe(
      '5000 settled (1 failed): 250 jobs/s, p50 30 ms, p99 1000 ms; worker RSS 200 MB, 200 MB; heap after GC 80 MB, 80 MB; Redis used_memory 12 MB; usage stream 0',
    );
  });

  it('measures growth from the checkpoint after warm-up, not from the first', () => {
    const lines = growth(
      [checkpoint(5000, 100, 5), checkpoint(10000, 200, 20), checkpoint(50000, 220, 21, 84)],
      {
        baselineRedis: 1 * MB,
        finalRedis: 20 * MB,
        streamLength: 0,
        kept: { completed: 10000, failed: 3 },
        latencies: [1, 2, 3],
      },
    );
    expect(lines[1]).toBe('worker RSS growth 10000 -> 50000 jobs: 10.0%, 10.0%');
    expect(lines[2]).toBe('worker heap after GC growth 10000 -> 50000 jobs: 5.0%, 5.0%');
    expect(lines[3]).toContain('20 MB at 10000, 21 MB at 50000 (5.0%)');
    expect(lines[4]).toBe(
      'jobs kept by policy: 10000 completed, 3 failed; usage stream length at the end: 0',
    );
  });
});
