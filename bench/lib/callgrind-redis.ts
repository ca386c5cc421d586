/**
 * A private redis-server under valgrind's callgrind, counting the instructions Redis executes only
 * while a measured stretch runs (started with collection off, switched on and off around it with
 * callgrind_control). Instruction counts do not move with the machine's load, where wall-clock
 * rates on a shared machine move by ±20% between runs; they are what a small change is judged by.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './native-redis.js';

const run = promisify(execFile);

/** The `totals:` line of a callgrind output file: instructions executed while collection was on. */
export function callgrindTotal(output: string): number {
  const match = /^totals:\s+(\d+)/m.exec(output);
  if (!match) throw new Error('callgrind output has no "totals:" line (was the run cut short?)');
  return Number(match[1]);
}

async function waitForPing(redis: Redis, child: ChildProcess, redisServer: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `valgrind ${redisServer} exited (${child.exitCode ?? child.signalCode}): check that it runs a Redis server`,
      );
    try {
      await redis.ping();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('valgrind redis-server did not answer PING within 30 s');
}

/** One measured stretch: its instruction total and the callgrind dump it came from (per function). */
export interface CallgrindStretch {
  readonly instructions: number;
  /** The dump's text, for callgrind_annotate (lib/callgrind-functions.ts). */
  readonly dump: string;
}

export interface CallgrindRedis {
  readonly redis: Redis;
  /** `redis://127.0.0.1:<port>`, for components that open connections of their own. */
  readonly url: string;
  /**
   * Instructions Redis executes while `fn` runs, without stopping the server: counters are zeroed,
   * switched on around `fn`, and dumped (callgrind_control --dump), so one server measures several
   * stretches in turn. Call `abort()` when done.
   */
  stretch(fn: () => Promise<void>): Promise<CallgrindStretch>;
  /**
   * Instructions Redis executes while `fn` runs. Once per server: callgrind writes its totals when
   * Redis exits, so this shuts the server down.
   */
  measure(fn: () => Promise<void>): Promise<number>;
  /** Stops the server without measuring (after a failure). */
  abort(): Promise<void>;
}

/** Starts `redisServer` (a path or a name on PATH) under callgrind, on a free local port. */
export async function startCallgrindRedis(redisServer = 'redis-server'): Promise<CallgrindRedis> {
  try {
    await run('valgrind', ['--version']);
  } catch {
    throw new Error('valgrind is not installed: install it (apt-get install valgrind) to count instructions');
  }
  const dir = await mkdtemp(join(tmpdir(), 'aikeys-callgrind-'));
  const outFile = join(dir, 'callgrind.out');
  const port = await freePort();
  const serverArgs = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const callgrindArgs = ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${outFile}`];
  const child = spawn('valgrind', [...callgrindArgs, redisServer, ...serverArgs], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  // Refused connections while valgrind starts Redis are expected; a command that fails still says so.
  redis.on('error', () => undefined);
  // callgrind writes its counts as Redis exits, so Redis is asked to shut down and given time to.
  const stop = async () => {
    if (running()) await redis.shutdown('NOSAVE').catch(() => undefined);
    redis.disconnect();
    if (!running()) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await redis.connect().catch(() => undefined);
    await waitForPing(redis, child, redisServer);
  } catch (error) {
    child.kill('SIGKILL');
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const control = (flag: string) => run('callgrind_control', [flag, String(child.pid)]);
  let dumps = 0;
  return {
    redis,
    url: `redis://127.0.0.1:${port}`,
    async stretch(fn) {
      await control('--zero');
      await control('--instr=on');
      try {
        await fn();
      } finally {
        await control('--instr=off');
      }
      await control('--dump');
      dumps += 1;
      // callgrind numbers the dumps of one run: <out>.1, <out>.2, ...
      const dump = await readFile(`${outFile}.${dumps}`, 'utf8');
      return { instructions: callgrindTotal(dump), dump };
    },
    async measure(fn) {
      try {
        await control('--instr=on');
        await fn();
        await control('--instr=off');
        await stop();
        return callgrindTotal(await readFile(outFile, 'utf8'));
      } finally {
        await stop();
        await rm(dir, { recursive: true, force: true });
      }
    },
    async abort() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
