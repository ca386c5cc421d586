/**
 * The edge of the config: finds the env file, reads it, and hands it to parseConfig. This module is
 * the one place in the codebase that reads `process.env`; everything else receives values.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { parseEnvFile } from './env-file.js';
import { parseConfig } from './parse-config.js';
import { serviceSettingsFromEnv } from './service-settings.js';
import type { ImportableConfig, ServiceSettings } from './types.js';

export { parseConfig } from './parse-config.js';
export { serviceSettingsFromEnv } from './service-settings.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  /** The env file; default `AIKEYS_ENV_FILE`, else `<cwd>/config/.env.local`. */
  readonly file?: string;
  /** Default process.env. */
  readonly env?: Env;
  /** Default process.cwd(). */
  readonly cwd?: string;
}

export const DEFAULT_ENV_FILE = 'config/.env.local';
export const EXAMPLE_ENV_FILE = 'config/.env.example';

export function processEnv(): Env {
  return process.env;
}

/** Absolute path of the env file these options point at. */
export function resolveEnvFile(options: LoadConfigOptions = {}): string {
  const env = options.env ?? processEnv();
  const cwd = options.cwd ?? process.cwd();
  const chosen = options.file ?? env.AIKEYS_ENV_FILE;
  return path.resolve(cwd, chosen === undefined || chosen.trim() === '' ? DEFAULT_ENV_FILE : chosen);
}

function isMissingFile(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR');
}

/** The file's text; a missing or unreadable file is a ConfigError saying what to do. */
export function readEnvFileText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (isMissingFile(error)) {
      throw new ConfigError([
        {
          file,
          message: 'env file not found',
          hint: `copy ${EXAMPLE_ENV_FILE} to ${file} and fill in your keys, or point AIKEYS_ENV_FILE at your env file`,
        },
      ]);
    }
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown error';
    throw new ConfigError([
      { file, message: `env file cannot be read (${code})`, hint: 'check its permissions' },
    ]);
  }
}

/** The env file's config with its key secrets: for the import. Other processes strip them (key-secrets.ts). */
export function loadConfig(options: LoadConfigOptions = {}): ImportableConfig {
  const env = options.env ?? processEnv();
  const file = resolveEnvFile({ ...options, env });
  return parseConfig(readEnvFileText(file), file, env);
}

/**
 * Service settings with or without an env file: the file's values when it exists (its keys and
 * other settings are not checked), the environment over them, defaults otherwise.
 */
export function loadServiceSettings(options: LoadConfigOptions = {}): ServiceSettings {
  const env = options.env ?? processEnv();
  const file = resolveEnvFile({ ...options, env });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (isMissingFile(error)) return serviceSettingsFromEnv(env);
    throw error;
  }
  return serviceSettingsFromEnv(env, parseEnvFile(text, file).entries, file);
}
