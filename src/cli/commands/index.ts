/**
 * Every command of `aikeys`, in the order `--help` lists them. A new command is one file exporting
 * a CommandRegistrar, added here (block, unblock, disable, enable, reset-daily, enqueue, ...).
 */
import type { CommandRegistrar } from '../context.js';
import { registerAccounts } from './accounts.js';
import { registerBlock } from './block.js';
import { registerDisable } from './disable.js';
import { registerEnable } from './enable.js';
import { registerEnqueue } from './enqueue.js';
import { registerGenKey } from './gen-key.js';
import { registerHealth } from './health.js';
import { registerImport } from './import.js';
import { registerKeys } from './keys.js';
import { registerMigrate } from './migrate.js';
import { registerResetDaily } from './reset-daily.js';
import { registerRotateEncryptionKey } from './rotate-encryption-key.js';
import { registerSimulateProvider } from './simulate-provider.js';
import { registerUnblock } from './unblock.js';
import { registerUsage } from './usage.js';

export const COMMANDS: readonly CommandRegistrar[] = [
  registerGenKey,
  registerMigrate,
  registerImport,
  registerKeys,
  registerAccounts,
  registerUsage,
  registerHealth,
  registerBlock,
  registerUnblock,
  registerDisable,
  registerEnable,
  registerResetDaily,
  registerRotateEncryptionKey,
  registerEnqueue,
  (program) => registerSimulateProvider(program),
];
