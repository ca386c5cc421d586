/** Spawning lease-worker.ts children and collecting what they saw. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import type { WorkerEvent, WorkerJob } from './lease-worker.js';

const WORKER = fileURLToPath(new URL('./lease-worker.ts', import.meta.url));

export function spawnWorker(job: WorkerJob): {
  child: ChildProcess;
  done: Promise<void>;
  firstLine: Promise<string>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
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
  child.stdin!.end(JSON.stringify(job));
  return { child, done, firstLine };
}

/** Releases the start barrier once `count` workers are ready. */
export async function startWhenReady(redis: Redis, prefix: string, count: number): Promise<void> {
  while ((await redis.llen(`${prefix}:test:ready`)) < count) await new Promise((r) => setTimeout(r, 20));
  await redis.rpush(`${prefix}:test:go`, ...Array.from({ length: count }, () => 'go'));
}

export function readEvents(files: readonly string[]): WorkerEvent[] {
  return files.flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as WorkerEvent[]);
}
