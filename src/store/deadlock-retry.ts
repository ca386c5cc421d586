/**
 * Runs a Postgres write again when Postgres aborted it with "deadlock detected" (SQLSTATE 40P01).
 *
 * Writers of several key rows take them in one order (src/store/key-state-writes.ts) and nothing else
 * share-locks those rows (migrations/004), so no cycle is known to remain; this is the safety net
 * Postgres's documentation asks of every application. Every write wrapped here is idempotent
 * (absolute values, ON CONFLICT, an import that converges), so running it again after a short
 * random pause is safe.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export const DEADLOCK_DETECTED = '40P01';

export function isDeadlock(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === DEADLOCK_DETECTED;
}

export async function retryOnDeadlock<T>(
  write: () => Promise<T>,
  options: { attempts?: number; pauseMs?: (attempt: number) => number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const pauseMs = options.pauseMs ?? ((attempt) => Math.random() * 20 * attempt);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= attempts || !isDeadlock(error)) throw error;
      await sleep(pauseMs(attempt));
    }
  }
}
