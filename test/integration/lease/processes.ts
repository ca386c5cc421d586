/** Spawning lease-worker.ts children and collecting what they saw. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import type { WorkerEvent, WorkerJob } from './lease-worker.js';

const WORKER = fileURLToPath(new URL('./lease-worker.ts', import.meta.url));

export interface LeaseWorkerProcess {
  child: ChildProcess;
  done: Promise<void>;
  firstLine: Promise<string>;
  /** What the child printed on stderr so far (its watchdog report, a stack trace). */
  stderr(): string;
  exited(): boolean;
}

export function spawnWorker(job: WorkerJob): LeaseWorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  let exited = false;
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.once('exit', () => (exited = true));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const nl = stdout.indexOf('\n');
      if (nl >= 0) resolve(stdout.slice(0, nl));
    });
    child.once('exit', () => reject(new Error(`worker exited before printing: ${stderr}`)));
  });
  firstLine.catch(() => undefined);
  const done = new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`worker exited with ${code ?? signal}: ${stderr}`)),
    );
  });
  // Awaited later; a child that dies early must not become an unhandled rejection meanwhile.
  done.catch(() => undefined);
  child.stdin!.end(JSON.stringify(job));
  return { child, done, firstLine, stderr: () => stderr, exited: () => exited };
}

/**
 * Releases the start barrier once every worker is ready. Fails at once, with the child's stderr,
 * when one exits first, and after `timeoutMs` when they never all get ready (a hang must fail the
 * test with a reason, not run into the test timeout).
 */
export async function startWhenReady(
  redis: Redis,
  prefix: string,
  workers: readonly LeaseWorkerProcess[],
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await redis.llen(`${prefix}:test:ready`)) < workers.length) {
    const dead = workers.find((w) => w.exited());
    if (dead) await dead.done;
    if (Date.now() > deadline) {
      killAll(workers);
      throw new Error(
        `lease workers not ready after ${timeoutMs} ms; stderr: ${workers.map((w) => w.stderr()).join(' | ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await redis.rpush(`${prefix}:test:go`, ...workers.map(() => 'go'));
}

/** Waits for every worker to finish; kills them all when one fails so none is left behind. */
export async function allDone(workers: readonly LeaseWorkerProcess[]): Promise<void> {
  try {
    await Promise.all(workers.map((w) => w.done));
  } catch (error) {
    killAll(workers);
    throw error;
  }
}

export function killAll(workers: readonly LeaseWorkerProcess[]): void {
  for (const w of workers) if (!w.exited()) w.child.kill('SIGKILL');
}

export function readEvents(files: readonly string[]): WorkerEvent[] {
  return files.flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as WorkerEvent[]);
}
