import { describe, expect, it } from 'vitest';
import { parseRps, redisBenchmarkTarget } from '../../../bench/lib/redis-benchmark.js';

describe('redis-benchmark reference ceiling', () => {
  it('reads the requests-per-second column of --csv output', () => {
    const csv =
      '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"\n' +
      '"evalsha e0e1f9 0","162866.44","0.061","0.016","0.063","0.087","0.159","1.975"\n';
    expect(parseRps(csv)).toBe(162866.44);
  });

  it('says what it got when the output has no rate', () => {
    expect(() => parseRps('ERR unknown command\n')).toThrow(
      /without a requests-per-second figure: ERR unknown/,
    );
  });

  it('takes host, port and password from the Redis URL and skips TLS', () => {
    expect(redisBenchmarkTarget('redis://127.0.0.1:6380')).toEqual({ host: '127.0.0.1', port: 6380 });
    expect(redisBenchmarkTarget('redis://:p%40ss@db.local')).toEqual({
      host: 'db.local',
      port: 6379,
      password: 'p@ss',
    });
    expect(redisBenchmarkTarget('rediss://db.local:6380')).toBeNull();
  });
});
