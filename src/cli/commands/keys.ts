import { keyRingOf } from '../../config/encryption-key.js';
import { readEnvelopeHeader } from '../../crypto/envelope.js';
import type { KeyRing } from '../../crypto/key-ring.js';
import { openStoredKey } from '../../crypto/stored-key.js';
import type { Db } from '../../store/database.js';
import { listKeys, loadSealedKey, type KeyView } from '../../store/keys.js';
import { plainTable } from '../render/table.js';
import { configFor, withDatabase, writeJson, type CommandRegistrar } from '../context.js';

export interface ListedKey extends KeyView {
  readonly masked: string;
}

/**
 * The masked secret is computed by opening each envelope here, in the CLI process, rather than
 * stored in a column at import time: a stored mask would be one more copy of part of every secret
 * in the database (and in its backups), and it would go stale if a key were re-sealed. The
 * plaintext lives only inside this function, one key at a time, and only its mask leaves it.
 */
async function maskOf(db: Db, key: KeyView, ring: KeyRing): Promise<string> {
  const stored = await loadSealedKey(db, key.keyId);
  if (stored === undefined) return '(missing)';
  try {
    const { keyId } = readEnvelopeHeader(stored.envelope);
    if (!ring.find(keyId)) return `(sealed by master key ${keyId})`;
    return openStoredKey(stored, ring).masked;
  } catch {
    return '(unreadable)';
  }
}

function showTime(date: Date | null): string {
  return date === null ? '' : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function renderKeys(keys: readonly ListedKey[]): string {
  if (keys.length === 0) return 'No keys in the database: run `aikeys import`.\n';
  const table = plainTable([
    'Key',
    'Account',
    'Provider',
    'Model',
    'Status',
    'Used today',
    'Failures',
    'Blocked until',
    'Disabled',
    'Secret',
  ]);
  for (const k of keys) {
    table.push([
      k.name,
      k.accountName,
      k.provider,
      k.model,
      k.status,
      `${k.usedToday}/${k.dailyLimit}`,
      String(k.consecutiveFailures),
      k.status === 'temporarily_blocked' ? showTime(k.temporaryBlockUntil) : '',
      k.disabledReason ?? '',
      k.masked,
    ]);
  }
  return `${table.toString()}\n`;
}

export const registerKeys: CommandRegistrar = (program, ctx) => {
  program
    .command('keys')
    .description('list the keys in Postgres with their account, status and usage; secrets are shown masked')
    .option('--all', 'include keys removed from the config')
    .option('--json', 'print JSON')
    .action(async (options: { all?: boolean; json?: boolean }, command: typeof program) => {
      const config = configFor(ctx, command);
      const ring = keyRingOf(config.system);
      const keys = await withDatabase(config.services.databaseUrl, async (db) => {
        const listed: ListedKey[] = [];
        for (const key of await listKeys(db, { includeRemoved: options.all === true })) {
          listed.push({ ...key, masked: await maskOf(db, key, ring) });
        }
        return listed;
      });
      if (options.json === true) writeJson(ctx, keys);
      else ctx.out(renderKeys(keys));
    });
};
