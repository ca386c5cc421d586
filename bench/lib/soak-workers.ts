/**
 * Worker replicas as the soak runs them: `workers/worker.ts` (what `npm run worker` starts) in
 * child processes of their own under `node --import tsx`, pointed at the soak's Redis, database,
 * prefix and env file through their environment, their logs drained and dropped. RSS is read from
 * /proc (Linux), which is where the soak runs; the V8 heap after a full collection is asked of the
 * worker over IPC (soak-heap-probe.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('../../workers/worker.ts', import.meta.url));
const HEAP_PROBE = fileURLToPath(new URL('./soak-heap-probe.ts', import.meta.url));

export interface SoakWorker {
  readonly pid: number;
  /** Resident set size in bytes, or NaN when the process is gone. */
  rss(): number;
  /** V8 heap in use right after a full collection, in bytes; NaN when the worker does not answer. */
  heapAfterGc(): Promise<number>;
  stop(): Promise<void>;
}

/** VmRSS of a process from /proc/<pid>/status, in bytes. */
export function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startSoakWorker(env: Readonly<Record<string, string>>): Promise<SoakWorker> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '--import', HEAP_PROBE, WORKER], {
    env: { ...process.env, ...env, PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let head = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within 60 s:\n${head}`)), 60_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (head.length < 20_000) head += chunk;
      if (head.includes('"msg":"worker replica started"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      if (head.length < 20_000) head += chunk;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it started:\n${head}`));
    });
  });
  // Keep reading (and dropping) its logs so it never blocks on a full pipe.
  child.stdout!.removeAllListeners('data').resume();
  child.stderr!.removeAllListeners('data').resume();
  const heapAfterGc = () =>
    new Promise<number>((resolve) => {
      const timer = setTimeout(() => (child.off('message', onMessage), resolve(Number.NaN)), 10_000);
      const onMessage = (message: unknown) => {
        const heap = (message as { heapAfterGc?: unknown } | null)?.heapAfterGc;
        if (typeof heap !== 'number') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(heap);
      };
      child.on('message', onMessage);
      if (!child.connected || !child.send('heap-after-gc')) {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(Number.NaN);
      }
    });
  return {
    pid: child.pid ?? -1,
    rss: () => rssOf(child.pid ?? -1),
    heapAfterGc,
    stop: () => stopChild(child),
  };
}
