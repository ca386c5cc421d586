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

async function ringWithOldKey(ctx: CliContext, current: Secret, old: string): Promise<KeyRing> {
  const previous = decodeOldKey(await oldKey(ctx, old));
  return new KeyRing(decodeMasterKey(current), [previous]);
}

function decodeOldKey(secret: Secret): MasterKey {
  try {
    return decodeMasterKey(secret);
  } catch (error) {
    if (error instanceof AikeysError) throw new AikeysError(error.code, `--old: ${error.message}`);
    throw error;
  }
}

export const registerRotateEncryptionKey: CommandRegistrar = (program, ctx) => {
  program
    .command('rotate-encryption-key')
    .description(
      're-seal every stored key with the current AI_ENCRYPTION_KEY, opening each with the old or the current key; ' +
        'all or nothing. Set the new key in the env file first, then restart workers after',
    )
    .requiredOption('--old <base64|->', 'the previous master key, or - to read it from stdin (preferred)')
    .option('--json', 'print JSON')
    .action(async (options: { old: string; json?: boolean }, command: typeof program) => {
      const config = configFor(ctx, command);
      const ring = await ringWithOldKey(ctx, config.system.encryptionKey, options.old);
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
        if (report.resealed > 0) ctx.err('restart workers that still run with the old AI_ENCRYPTION_KEY\n');
      }
    });
};
