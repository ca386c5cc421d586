/**
 * Re-imports the env file in a process that holds it: keys and accounts into Postgres (under the
 * import's advisory lock, so one replica at a time), the status and the reloadable settings into
 * ai_config_status (every replica takes those: live-updates.ts), then a merge of the Redis state.
 * A broken file changes nothing that runs: the error, with its file and line, is recorded for
 * /api/health and logged; the next good import clears it.
 */
import { keyRingOf } from '../config/encryption-key.js';
import { restartNeeded } from '../config/published-settings.js';
import type { AikeysConfig, ImportableConfig } from '../config/types.js';
import { ConfigError, formatConfigProblem } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { KeyPool } from '../lease/key-pool.js';
import { recordImportError } from '../store/config-status.js';
import type { Db } from '../store/database.js';
import { importConfig } from '../store/import-config.js';
import { isNoop } from '../store/import/report.js';

export interface ReloadResult {
  readonly changed: boolean;
  readonly summary: string;
}

export interface ConfigReloader {
  /** Reads and imports the file now; runs one at a time in this process. */
  reload(): Promise<ReloadResult>;
}

export function createConfigReloader(deps: {
  readonly db: Db;
  readonly pool: Pick<KeyPool, 'hydrate'>;
  /** The env file's path, and a fresh read of it with its key secrets (for one import). */
  readonly file: string;
  readonly read: () => ImportableConfig;
  /** What this process runs with: settings that differ and are not reloadable need a restart. */
  readonly running: Pick<AikeysConfig, 'system' | 'services' | 'providers'>;
  readonly logger: Logger;
}): ConfigReloader {
  const { db, pool, logger } = deps;
  let queue: Promise<unknown> = Promise.resolve();
  let lastRestartWarning = '';

  async function recordError(error: ConfigError): Promise<ReloadResult> {
    const problems = error.problems;
    const first = problems.find((p) => p.line !== undefined) ?? problems[0];
    const message = problems.map(formatConfigProblem).join('; ');
    await recordImportError(db, { file: first?.file ?? deps.file, line: first?.line ?? null, message });
    logger.warn(
      { file: first?.file ?? deps.file, line: first?.line ?? null, problems: problems.length },
      `env file not imported, the running pool is unchanged: ${message}`,
    );
    return { changed: false, summary: `config error: ${message}` };
  }

  async function reloadNow(): Promise<ReloadResult> {
    let config: ImportableConfig;
    try {
      config = deps.read();
    } catch (error) {
      if (error instanceof ConfigError) return recordError(error);
      throw error;
    }
    const report = await importConfig(db, config, {
      ring: keyRingOf(config.system),
      logger,
      running: deps.running,
    });
    const restart = restartNeeded(deps.running, config);
    if (restart.join(',') !== lastRestartWarning) {
      lastRestartWarning = restart.join(',');
      if (restart.length > 0)
        logger.warn(
          { settings: restart },
          'settings changed in the env file take effect only after a restart',
        );
    }
    if (isNoop(report)) return { changed: false, summary: 'config unchanged' };
    await pool.hydrate();
    const summary = `added ${report.added.length}, changed ${report.changed.length}, disabled ${report.disabled.length}`;
    logger.info({ file: config.file, summary }, 'config re-imported');
    return { changed: true, summary };
  }

  return {
    reload() {
      const run = queue.then(reloadNow, reloadNow);
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
