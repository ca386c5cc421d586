/**
 * Watches the env file and re-imports it soon after it changes (within a second; the promise is 5
 * seconds). chokidar watches the file's directory, not the file: editors save by writing a new
 * file and renaming it over the old one, and a watch on the old file's inode ends at the first
 * rename. A stat of the file every `pollMs` (mtime, size, inode) is the fallback for file systems
 * whose events do not arrive (network and container bind mounts).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../core/logger.js';
import type { CloseStep } from './shutdown.js';

export interface ConfigWatcher {
  /** Changes seen (events and stat checks, before the debounce). */
  readonly changesSeen: number;
  readonly closeStep: CloseStep;
}

function stampOf(file: string): string {
  try {
    const s = statSync(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

export function watchConfigFile(options: {
  readonly file: string;
  /** Called after a change settles; its errors are logged, and the next change calls it again. */
  readonly onChange: () => Promise<unknown>;
  readonly logger: Logger;
  /** Quiet time after the last event before the import (default 250 ms). */
  readonly debounceMs?: number;
  /** Stat fallback interval (default 2000 ms). */
  readonly pollMs?: number;
}): ConfigWatcher {
  const file = path.resolve(options.file);
  const dir = path.dirname(file);
  const { logger } = options;
  let stamp = stampOf(file);
  let changesSeen = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function changed(): void {
    if (closed) return;
    changesSeen += 1;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      stamp = stampOf(file);
      options.onChange().catch((error: unknown) => {
        logger.error(
          { err: error, file },
          'env file changed but could not be imported; will try at the next change',
        );
      });
    }, options.debounceMs ?? 250);
  }

  const watcher: FSWatcher = watch(dir, {
    ignoreInitial: true,
    depth: 0,
    // Other files in the directory are not ours; the directory itself must pass for its events.
    ignored: (p: string) => path.resolve(p) !== dir && path.resolve(p) !== file,
  });
  watcher.on('all', (_event, p) => {
    if (path.resolve(p) === file) changed();
  });
  watcher.on('error', (error) =>
    logger.warn({ err: error, dir }, 'env file watcher error; the stat check goes on'),
  );

  const poll = setInterval(() => {
    if (timer === undefined && stampOf(file) !== stamp) changed();
  }, options.pollMs ?? 2000);
  poll.unref();

  return {
    get changesSeen() {
      return changesSeen;
    },
    closeStep: {
      name: 'env file watcher',
      close: async () => {
        closed = true;
        clearInterval(poll);
        if (timer) clearTimeout(timer);
        await watcher.close();
      },
    },
  };
}
