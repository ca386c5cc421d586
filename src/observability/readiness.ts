/**
 * Readiness for an orchestrator: ready while Redis and Postgres answer, the process's workers run,
 * and no graceful shutdown has begun. The shutdown step goes first among the close steps, so the
 * probe turns false before the workers stop taking jobs and while in-flight ones finish.
 */
import type { Redis } from 'ioredis';
import type { Db } from '../store/database.js';
import type { CloseStep } from '../core/close-step.js';

/** A probe answers quickly or the orchestrator times it out; a check that hangs counts as failed. */
const CHECK_TIMEOUT_MS = 2000;

export interface ReadinessCheck {
  readonly name: string;
  /** null when fine; otherwise why not (never a secret: connection URLs are not quoted). */
  check(): Promise<string | null>;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, string>>;
}

async function withTimeout(check: ReadinessCheck): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS} ms`), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check.check().catch((error: unknown) => errorSummary(error)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error's class and code only: driver messages may quote a connection string. */
function errorSummary(error: unknown): string {
  if (!(error instanceof Error)) return 'failed';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} ${code}` : error.name;
}

export function redisCheck(redis: Redis): ReadinessCheck {
  return {
    name: 'redis',
    async check() {
      // Not queued behind a reconnect: a connection that is not ready is reported as such at once.
      if (redis.status !== 'ready') return `connection ${redis.status}`;
      await redis.ping();
      return null;
    },
  };
}

export function postgresCheck(db: Db): ReadinessCheck {
  return {
    name: 'postgres',
    async check() {
      await db.raw('SELECT 1');
      return null;
    },
  };
}

/** The worker must exist (registered once started) and be running; paused by backpressure still counts as running. */
export function workersCheck(
  workers: () => readonly { name: string; isRunning(): boolean }[],
): ReadinessCheck {
  return {
    name: 'workers',
    async check() {
      const list = workers();
      if (list.length === 0) return 'not started yet';
      const stopped = list.filter((w) => !w.isRunning()).map((w) => w.name);
      return stopped.length ? `not running: ${stopped.join(', ')}` : null;
    },
  };
}

export class Readiness {
  readonly #checks: ReadinessCheck[];
  #shuttingDown = false;

  constructor(checks: readonly ReadinessCheck[]) {
    this.#checks = [...checks];
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** First among the close steps: from here on the process answers not ready. */
  readonly shutdownStep: CloseStep = {
    name: 'readiness',
    close: async () => {
      this.#shuttingDown = true;
    },
  };

  async report(): Promise<ReadinessReport> {
    const results = await Promise.all(this.#checks.map(async (c) => [c.name, await withTimeout(c)] as const));
    const checks: Record<string, string> = {};
    for (const [name, problem] of results) checks[name] = problem ?? 'ok';
    checks.shutdown = this.#shuttingDown ? 'shutting down' : 'ok';
    return { ready: Object.values(checks).every((v) => v === 'ok'), checks };
  }
}
