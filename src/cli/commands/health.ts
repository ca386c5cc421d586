import type { Command } from 'commander';
import type { AikeysConfig } from '../../config/types.js';
import { AikeysError, ConfigError, formatConfigProblem } from '../../core/errors.js';
import { getSystemHealth, type SystemHealth } from '../../store/health.js';
import {
  configFor,
  servicesFor,
  withDatabase,
  writeJson,
  type CliContext,
  type CommandRegistrar,
} from '../context.js';

/**
 * Health must answer even when the key file is broken (that is when it is most wanted), so a config
 * problem is a warning here, and encryption then counts as not set up.
 */
function tryConfig(ctx: CliContext, command: Command): AikeysConfig | undefined {
  try {
    return configFor(ctx, command);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const first = error.problems[0];
    const more = error.problems.length > 1 ? ` (and ${error.problems.length - 1} more)` : '';
    ctx.err(
      `aikeys: warning: config not loaded: ${first ? formatConfigProblem(first) : error.message}${more}\n`,
    );
    return undefined;
  }
}

/** The env file's import status (ai_config_status): what `/api/health` shows as `config`. */
function configRows(health: SystemHealth): [string, string][] {
  const c = health.config;
  if (c === null) return [['config', 'no import recorded yet']];
  const last = c.last_import;
  const error = c.last_error;
  return [
    ['config_file', c.file],
    ['config_last_import_at', c.last_import_at ?? 'never'],
    [
      'config_last_import',
      last === null
        ? 'none'
        : `added ${last.added}, changed ${last.changed}, disabled ${last.disabled}, unchanged ${last.unchanged}`,
    ],
    [
      'config_last_error',
      error === null
        ? 'none'
        : `${error.file}${error.line === null ? '' : `:${error.line}`} at ${error.at}: ${error.message}`,
    ],
    ['config_restart_needed', c.restart_needed.length === 0 ? 'none' : c.restart_needed.join(', ')],
  ];
}

export function renderHealth(health: SystemHealth): string {
  const rows: [string, string | number | boolean | null][] = [
    ['healthy', health.healthy],
    ['total_keys', health.totalKeys],
    ['active_keys', health.activeKeys],
    ['blocked_keys', health.blockedKeys],
    ['exhausted_keys', health.exhaustedKeys],
    ['disabled_keys', health.disabledKeys],
    ['accounts', health.accounts],
    ['encryption_enabled', health.encryptionEnabled],
    ['keys_sealed_by_other_master_key', health.keysSealedByOtherMasterKey ?? 'unknown'],
    ['usage_rejects', health.usageRejects],
    ...health.keysByMasterKey.map((u): [string, string] => [
      `master_key ${u.masterKeyId}`,
      `${u.keys} keys (${u.v1Keys} v1)${u.role === null ? '' : `, ${u.role}`}`,
    ]),
  ];
  rows.push(...configRows(health));
  const width = Math.max(...rows.map(([name]) => name.length));
  return `${rows.map(([name, value]) => `${name.padEnd(width)}  ${String(value)}`).join('\n')}\n`;
}

export const registerHealth: CommandRegistrar = (program, ctx) => {
  program
    .command('health')
    .description('print key counts from Postgres; exits 0 when healthy (at least one active key), 1 when not')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: typeof program) => {
      const config = tryConfig(ctx, command);
      const databaseUrl = config?.services.databaseUrl ?? servicesFor(ctx, command).databaseUrl;
      const health = await withDatabase(databaseUrl, (db) => getSystemHealth(db, config));
      if (options.json === true) writeJson(ctx, health);
      else ctx.out(renderHealth(health));
      if (!health.healthy) {
        throw new AikeysError(
          'UNHEALTHY',
          `unhealthy: no active key (${health.totalKeys} keys: ${health.blockedKeys} blocked, ` +
            `${health.exhaustedKeys} exhausted, ${health.disabledKeys} disabled)`,
        );
      }
    });
};
