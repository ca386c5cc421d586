/**
 * ConfigManager (lookups by key number, name and account id): holds the last config and re-reads the env file only when it
 * changed. The config it holds has no key secrets (key-secrets.ts): a process that re-imports
 * reads them again with readForImport, for the length of the import. A stat per access is cheap (microseconds) next to a parse, and lets an operator edit
 * the file without restarting. A broken edit throws on access (ConfigError) until it is fixed;
 * callers that must keep serving can hold on to the last config they got.
 */
import { statSync, type Stats } from 'node:fs';
import { decodeMasterKey } from '../crypto/key-ring.js';
import {
  readEnvFileText,
  resolveEnvFile,
  processEnv,
  type Env,
  type LoadConfigOptions,
} from './load-config.js';
import { withoutKeySecrets } from './key-secrets.js';
import { parseConfig } from './parse-config.js';
import type {
  AccountConfig,
  AikeysConfig,
  ImportableConfig,
  KeyConfig,
  ProviderEndpoint,
  ServiceSettings,
  SystemSettings,
} from './types.js';

/** File-system access, passed in so tests can count reads. */
export interface ConfigFileSystem {
  stat(file: string): Pick<Stats, 'mtimeMs' | 'size' | 'ino'> | undefined;
  read(file: string): string;
}

export const nodeFileSystem: ConfigFileSystem = {
  stat(file) {
    try {
      return statSync(file);
    } catch {
      return undefined; // reported by read() with a hint
    }
  },
  read: readEnvFileText,
};

export interface ConfigManagerOptions extends LoadConfigOptions {
  readonly fs?: ConfigFileSystem;
}

export class ConfigManager {
  readonly file: string;
  readonly #env: Env;
  readonly #fs: ConfigFileSystem;
  #config: AikeysConfig | undefined;
  #stamp: string | undefined;

  constructor(options: ConfigManagerOptions = {}) {
    this.#env = options.env ?? processEnv();
    this.file = resolveEnvFile({ ...options, env: this.#env });
    this.#fs = options.fs ?? nodeFileSystem;
  }

  /** The current config, re-parsed when the file's mtime, size or inode changed. */
  get config(): AikeysConfig {
    const stats = this.#fs.stat(this.file);
    const stamp = stats === undefined ? undefined : `${stats.mtimeMs}:${stats.size}:${stats.ino}`;
    if (this.#config === undefined || stamp === undefined || stamp !== this.#stamp) {
      this.#config = withoutKeySecrets(parseConfig(this.#fs.read(this.file), this.file, this.#env));
      this.#stamp = stamp;
    }
    return this.#config;
  }

  /** The file as it is now, key secrets included, parsed afresh and not kept: for an import. */
  readForImport(): ImportableConfig {
    return parseConfig(this.#fs.read(this.file), this.file, this.#env);
  }

  getAllKeys(): readonly KeyConfig[] {
    return this.config.keys;
  }

  getKeyByNumber(number: number): KeyConfig | undefined {
    return this.config.keys.find((key) => key.number === number);
  }

  /** `key_1`, as stored in Postgres. */
  getKeyByName(name: string): KeyConfig | undefined {
    return this.config.keys.find((key) => key.name === name);
  }

  getAllAccounts(): readonly AccountConfig[] {
    return this.config.accounts;
  }

  getAccountById(id: number): AccountConfig | undefined {
    return this.config.accounts.find((account) => account.id === id);
  }

  getSystemSettings(): SystemSettings {
    return this.config.system;
  }

  getServiceSettings(): ServiceSettings {
    return this.config.services;
  }

  getProviders(): Readonly<Record<string, ProviderEndpoint>> {
    return this.config.providers;
  }

  /** True when the config loads and its encryption key is usable; never throws. */
  validateEncryptionKey(): boolean {
    try {
      decodeMasterKey(this.config.system.encryptionKey);
      return true;
    } catch {
      return false; // a ConfigError (key missing or malformed, or any other problem) or a CryptoError
    }
  }
}
