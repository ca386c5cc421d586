/**
 * A worker replica as a real child process. It runs under `node --import tsx` (one process, not
 * `npx tsx`, which puts a launcher in between): a signal sent to `child` reaches the worker itself,
 * so SIGTERM tests the worker's own shutdown and SIGKILL really kills it mid-flight.
 * stdout/stderr are captured whole (pino JSON) for the no-secret check and for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Isolated } from '../../setup/isolation.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The production entry point: `npm run worker`. */
export const WORKER_ENTRY = path.join(ROOT, 'workers/worker.ts');

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves once the replica logged that it started taking jobs; rejects if it exits first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<WorkerExit>;
  /** Everything written so far, stdout then stderr. */
  output(): string;
  stdout(): string;
  /** Parsed pino lines of stdout (lines that are not JSON are skipped). */
  logLines(): Record<string, unknown>[];
  hasExited(): boolean;
  /** Where it serves /healthz, /readyz and /metrics (from its log), once it said so. */
  probeUrl(): string | undefined;
}

export interface SpawnWorkerOptions {
  readonly isolated: Isolated;
  readonly envFile: string;
  readonly entry?: string;
  /** Extra environment (settings override the env file). */
  readonly env?: Readonly<Record<string, string>>;
  /** The log message that means "taking jobs". */
  readonly readyMessage?: string;
}

export function spawnWorker(options: SpawnWorkerOptions): WorkerProcess {
  const readyMessage = options.readyMessage ?? 'worker replica started';
  const child = spawn(process.execPath, ['--import', 'tsx', options.entry ?? WORKER_ENTRY], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...options.isolated.env,
      AIKEYS_ENV_FILE: options.envFile,
      LOG_LEVEL: 'info',
      // Each replica serves its probes on HOST:PORT: any free port, so replicas never collide.
      PORT: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exit: WorkerExit | undefined;
  const exited = new Promise<WorkerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes(`"msg":"${readyMessage}"`)) resolve();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    void exited.then((e) =>
      reject(new Error(`worker exited before it was ready (${JSON.stringify(e)}):\n${out}\n${err}`)),
    );
  });
  ready.catch(() => undefined); // observed by whoever awaits it
  return {
    child,
    pid: child.pid!,
    ready,
    exited,
    output: () => `${out}\n${err}`,
    stdout: () => out,
    logLines: () =>
      out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    hasExited: () => exit !== undefined,
    probeUrl() {
      const line = this.logLines().find(
        (l) => typeof l.msg === 'string' && l.msg.startsWith('probes listening'),
      );
      return typeof line?.url === 'string' ? line.url : undefined;
    },
  };
}

/** Sends SIGTERM and waits for the exit; kills it (and says so) if it does not stop within `ms`. */
export async function stopWorker(worker: WorkerProcess, ms = 30_000): Promise<WorkerExit> {
  if (worker.hasExited()) return worker.exited;
  worker.child.kill('SIGTERM');
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), ms);
  try {
    return await worker.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** For afterAll: whatever is still running is killed, so a failed test leaves no orphan. */
export async function killAll(workers: readonly WorkerProcess[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.hasExited()) return;
      w.child.kill('SIGKILL');
      await w.exited;
    }),
  );
}
