import path from 'node:path';
import { resolveEnvFile } from '../../config/load-config.js';
import { generateMasterKey } from '../../crypto/key-ring.js';
import { globalOptions, type CommandRegistrar } from '../context.js';

/**
 * Prints a fresh master key. Printing it is the command's purpose, so it goes to stdout alone
 * (`aikeys gen-key > file` works); the hint on stderr does not repeat it, so the key appears once.
 */
export const registerGenKey: CommandRegistrar = (program, ctx) => {
  program
    .command('gen-key')
    .description('print a new random master key (base64 of 32 bytes) for AI_ENCRYPTION_KEY')
    .action((_options, command: typeof program) => {
      ctx.out(`${generateMasterKey().reveal()}\n`);
      const file = resolveEnvFile({ file: globalOptions(command).envFile, env: ctx.env, cwd: ctx.cwd });
      const shown = path.relative(ctx.cwd ?? process.cwd(), file) || file;
      ctx.err(
        `add AI_ENCRYPTION_KEY=<the key above> to ${shown}; keep it secret and backed up: ` +
          'the stored API keys cannot be decrypted without it\n',
      );
    });
};
