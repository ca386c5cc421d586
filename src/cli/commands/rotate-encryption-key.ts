import { keyRingOf } from '../../config/encryption-key.js';
import { AikeysError } from '../../core/errors.js';
import { Secret } from '../../core/secret.js';
import { decodeMasterKey, KeyRing, type MasterKey } from '../../crypto/key-ring.js';
import { resealKeys } from '../../store/import/reseal-keys.js';
import { auditCli } from '../audit.js';
import { configFor, withDatabase, writeJson, type CliContext, type CommandRegistrar } from '../context.js';

/**
 * `--old -` reads the old master key from stdin: a value on the command line is visible to other
 * users in `ps` and lands in shell history, so the literal form is for scripts that accept that.
 */
async function oldKey(ctx: CliContext, value: string): Promise<Secret> {
  if (value !== '-') return new Secret(value);
  if (!ctx.readStdin)
    throw new AikeysError('CLI_NO_STDIN', 'standard input is not available to read the old key from');
  return new Secret((await ctx.readStdin()).trim());
}

function decodeOldKey(secret: Secret): MasterKey {
  try {
    return decodeMasterKey(secret);
  } catch (error) {
    if (error instanceof AikeysError) throw new AikeysError(error.code, `--old: ${error.message}`);
    throw error;
  }
}

/** The config's ring (AI_ENCRYPTION_KEY seals, AI_ENCRYPTION_KEY_PREVIOUS opens) plus `--old` when given. */
async function rotationRing(
  ctx: CliContext,
  system: Parameters<typeof keyRingOf>[0],
  old: string | undefined,
): Promise<KeyRing> {
  const configured = keyRingOf(system);
  if (old === undefined) return configured;
  const previous = [
    ...system.previousEncryptionKeys.map(decodeMasterKey),
    decodeOldKey(await oldKey(ctx, old)),
  ];
  return new KeyRing(configured.primary, previous);
}

export const registerRotateEncryptionKey: CommandRegistrar = (program, ctx) => {
  program
    .command('rotate-encryption-key')
    .description(
      're-seal every stored key with the current AI_ENCRYPTION_KEY (as a v2 envelope bound to its row), opening each ' +
        'with AI_ENCRYPTION_KEY, AI_ENCRYPTION_KEY_PREVIOUS or --old; all or nothing, in one transaction. Workers keep ' +
        'serving meanwhile when they run with the new key and the old one as AI_ENCRYPTION_KEY_PREVIOUS',
    )
    .option(
      '--old <base64|->',
      'a previous master key, or - to read it from stdin (preferred over the literal)',
    )
    .option('--json', 'print JSON')
    .action(async (options: { old?: string; json?: boolean }, command: typeof program) => {
      const config = configFor(ctx, command);
      const ring = await rotationRing(ctx, config.system, options.old);
      const report = await withDatabase(config.services.databaseUrl, async (db) => {
        const result = await resealKeys(db, ring);
        await auditCli(ctx, config, db, { action: 'rotate', details: { ...result } });
        return result;
      });
      if (options.json === true) writeJson(ctx, report);
      else {
        ctx.out(
          `Re-sealed ${report.resealed} key(s) with master key ${report.masterKeyId}; ` +
            `${report.alreadyCurrent} already used it.\n`,
        );
        if (report.resealed > 0)
          ctx.err(
            'processes that do not have this master key (as AI_ENCRYPTION_KEY or AI_ENCRYPTION_KEY_PREVIOUS) cannot open the keys: give it to them; ' +
              'drop the old key from AI_ENCRYPTION_KEY_PREVIOUS once `aikeys health` shows it seals 0 keys\n',
          );
      }
    });
};
