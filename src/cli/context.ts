/**
 * What every command receives: where to write, and where config comes from. Commands never touch
 * process.stdout or process.env themselves, so tests can run them in-process with captured output
 * and a made-up environment; `main.ts` wires the real process in.
 */
import type { Command } from 'commander';
import { loadConfig, loadServiceSettings, type Env } from '../config/load-config.js';
import { withoutKeySecrets } from '../config/key-secrets.js';
import type { AikeysConfig, ImportableConfig, ServiceSettings } from '../config/types.js';
import { openDatabase, type Db } from '../store/database.js';

export interface CliContext {
  /** Standard output: what the command produces (tables, JSON, a generated key). */
  readonly out: (text: string) => void;
  /** Standard error: hints, warnings and the `aikeys: <reason>` line. */
  readonly err: (text: string) => void;
  /** Environment for config; undefined = the process environment, read by src/config. */
  readonly env?: Env;
  /** Directory `config/.env.local` is relative to; undefined = the process's. */
  readonly cwd?: string;
  /** All of standard input, for secrets that must not go on the command line. */
  readonly readStdin?: () => Promise<string>;
}

/** Options every command accepts (declared on the program, usable after the command name too). */
export interface GlobalOptions {
  readonly envFile?: string;
  readonly verbose?: boolean;
}

/** Adds one or more commands to the program. Each command file exports one. */
export type CommandRegistrar = (program: Command, ctx: CliContext) => void;

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

function configOptions(ctx: CliContext, command: Command) {
  const { envFile } = globalOptions(command);
  return { file: envFile, env: ctx.env, cwd: ctx.cwd };
}

/** The config without key secrets (master key, services, keys by hash); throws ConfigError listing every problem. */
export function configFor(ctx: CliContext, command: Command): AikeysConfig {
  return withoutKeySecrets(loadConfig(configOptions(ctx, command)));
}

/** The config with its key secrets: only for the import. */
export function importableConfigFor(ctx: CliContext, command: Command): ImportableConfig {
  return loadConfig(configOptions(ctx, command));
}

/** Only where Postgres and Redis are: for commands that need no keys (migrate, health). */
export function servicesFor(ctx: CliContext, command: Command): ServiceSettings {
  return loadServiceSettings(configOptions(ctx, command));
}

/**
 * Opens (creating and migrating when needed) the database for the length of `use`. A CLI run needs
 * one or two connections, not the pool a worker wants.
 */
export async function withDatabase<T>(databaseUrl: string, use: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDatabase(databaseUrl, { poolMax: 2 });
  try {
    return await use(db);
  } finally {
    await db.destroy();
  }
}

export function writeJson(ctx: CliContext, value: unknown): void {
  ctx.out(`${JSON.stringify(value, null, 2)}\n`);
}
