/**
 * Graceful shutdown on SIGTERM/SIGINT: the first signal runs the close steps in order (stop taking
 * jobs, let in-flight ones finish or hand them back, flush usage, close connections); a second
 * signal exits at once.
 */
import type { Logger } from '../core/logger.js';

import type { CloseStep } from '../core/close-step.js';

export type { CloseStep };

export async function closeInOrder(steps: readonly CloseStep[], logger: Logger): Promise<boolean> {
  let clean = true;
  for (const step of steps) {
    try {
      await step.close();
    } catch (error) {
      clean = false;
      logger.error({ err: error, step: step.name }, 'shutdown step failed');
    }
  }
  return clean;
}

export function onShutdownSignals(
  steps: () => readonly CloseStep[],
  logger: Logger,
  exit: (code: number) => void = (code) => process.exit(code),
): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      exit(130);
      return;
    }
    stopping = true;
    logger.info(
      { signal },
      'shutting down: finishing in-flight jobs (send the signal again to exit at once)',
    );
    void closeInOrder(steps(), logger).then((clean) => exit(clean ? 0 : 1));
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
