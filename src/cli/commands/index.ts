/**
 * Every command of `aikeys`, in the order `--help` lists them. A new command is one file exporting
 * a CommandRegistrar, added here (block, unblock, disable, enable, reset-daily, enqueue, ...).
 */
import type { CommandRegistrar } from '../context.js';
import { registerGenKey } from './gen-key.js';
import { registerHealth } from './health.js';
import { registerImport } from './import.js';
import { registerKeys } from './keys.js';
import { registerMigrate } from './migrate.js';
import { registerRotateEncryptionKey } from './rotate-encryption-key.js';
import { registerSimulateProvider } from './simulate-provider.js';

export const COMMANDS: readonly CommandRegistrar[] = [
  registerGenKey,
  registerMigrate,
  registerImport,
  registerKeys,
  registerHealth,
  registerRotateEncryptionKey,
  (program) => registerSimulateProvider(program),
];
