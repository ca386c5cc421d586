import { AikeysError, ConfigError } from '../src/core/errors.js';

/** Runs an entry point; a startup error prints what to do and exits non-zero, without a stack for expected errors. */
export async function runEntryPoint(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`aikeys: ${error.message}`);
      process.exit(2);
    }
    if (error instanceof AikeysError) {
      console.error(`aikeys: ${error.message}`);
      process.exit(1);
    }
    console.error(error);
    process.exit(1);
  }
}
