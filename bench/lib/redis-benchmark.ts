/**
 * A second ceiling for the lease bench, from a tool anyone can run: `redis-benchmark` running a
 * one-line EVALSHA (about 164k/s on a 2-core machine). Its clients each wait for their answer before
 * the next request, where this process's callers share one ioredis connection that writes what they
 * send in one tick together; the two ceilings have differed by about 1.4x on one machine, so the
 * lease bench prints both, measured in the same run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RedisBenchmarkTarget {
  readonly host: string;
  readonly port: number;
  readonly password?: string;
}

/** Host, port and password of a redis:// URL; null for TLS (rediss://), which this check skips. */
export function redisBenchmarkTarget(redisUrl: string): RedisBenchmarkTarget | null {
  const url = new URL(redisUrl);
  if (url.protocol !== 'redis:') return null;
  return {
    host: url.hostname || '127.0.0.1',
    port: Number(url.port || 6379),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}

/**
 * Requests per second of `EVALSHA sha 0` from `clients` redis-benchmark clients, `requests` in all;
 * null when redis-benchmark is not installed (it comes with the Redis server tools).
 */
export async function redisBenchmarkEvalsha(
  target: RedisBenchmarkTarget,
  sha: string,
  clients: number,
  requests: number,
): Promise<number | null> {
  const args = ['-h', target.host, '-p', String(target.port), '-c', String(clients), '-n', String(requests)];
  if (target.password) args.push('-a', target.password, '--no-auth-warning');
  try {
    const { stdout } = await run('redis-benchmark', [...args, '--csv', 'EVALSHA', sha, '0']);
    return parseRps(stdout);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The rps column of redis-benchmark's --csv output (a header line, then one line per test). */
export function parseRps(csv: string): number {
  const row = csv.trim().split('\n')[1];
  const rps = Number(row?.split('","')[1]);
  if (!Number.isFinite(rps) || rps <= 0)
    throw new Error(`redis-benchmark answered without a requests-per-second figure: ${csv.slice(0, 200)}`);
  return rps;
}
