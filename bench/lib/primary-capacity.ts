/**
 * How many instructions one Redis primary executes per second when saturated, to turn the
 * redis-cost bench's instructions per job into a fleet ceiling in jobs/s per primary. Measured as
 * (requests/s of `redis-benchmark -c 32 EVALSHA <20 HINCRBY>` on a native redis-server of its own) x
 * (instructions per such request, counted by callgrind on the bench's valgrind server, same tool,
 * same command). On a 2-core machine the benchmark client shares the cores with Redis, so the rate,
 * and the ceiling, are lower bounds of what a dedicated core gives.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { CallgrindRedis } from './callgrind-redis.js';
import { startNativeRedis } from './native-redis.js';
import { parseRps } from './redis-benchmark.js';

const run = promisify(execFile);

/** Requests/s of `EVALSHA sha 1 <key>` from 32 redis-benchmark clients. */
async function benchmark(port: number, sha: string, requests: number): Promise<number | null> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', '32', '-n', String(requests), '--csv'];
  try {
    const { stdout } = await run('redis-benchmark', [...args, 'EVALSHA', sha, '1', '{capacity}:h']);
    return parseRps(stdout);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export interface PrimaryCapacity {
  readonly requestsPerSecond: number;
  readonly instructionsPerRequest: number;
  readonly instructionsPerSecond: number;
}

/**
 * About 240,000 instructions per call, the size of a job's round trips (a job's ~960,000 over a few
 * script calls). A one-line script (11,000 per request) is bound by each request's system calls,
 * which callgrind does not count: it gave 354M instructions/s, where scripts of 244,000 and
 * 1,160,000 instructions per call both gave 3.0G/s (2026-12-02, the shared 2-core machine).
 */
const WORK = "for i = 1, 20 do redis.call('HINCRBY', KEYS[1], 'f' .. (i % 10), 1) end return 1";

async function nativeRate(requests: number): Promise<number | null> {
  const server = await startNativeRedis();
  try {
    const sha = (await server.redis.script('LOAD', WORK)) as string;
    return await benchmark(server.port, sha, requests);
  } finally {
    await server.close();
  }
}

export async function primaryCapacity(server: CallgrindRedis, url: URL): Promise<PrimaryCapacity | null> {
  const rate = await nativeRate(50_000);
  if (rate === null) return null;
  const sha = (await server.redis.script('LOAD', WORK)) as string;
  const requests = 2_000;
  const stretch = await server.stretch(async () => void (await benchmark(Number(url.port), sha, requests)));
  const instructionsPerRequest = stretch.instructions / requests;
  return {
    requestsPerSecond: rate,
    instructionsPerRequest,
    instructionsPerSecond: rate * instructionsPerRequest,
  };
}
