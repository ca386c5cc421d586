/**
 * The `aikeys` program: global options, the registered commands, and one policy for errors and exit
 * codes so that every command fails the same way:
 *   0  success
 *   1  failure: one line `aikeys: <reason>` on stderr (an unhealthy `health` too)
 *   2  invalid configuration: one `aikeys: <file>:<line>: <problem>` line per problem
 * Expected failures (AikeysError) never print a stack; unexpected ones print their message and a
 * hint to rerun with --verbose, which prints the stack.
 */
import { Command, CommanderError } from 'commander';
import { AikeysError, ConfigError, formatConfigProblem } from '../core/errors.js';
import { COMMANDS } from './commands/index.js';
import type { CliContext, CommandRegistrar } from './context.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_CONFIG = 2;

export function buildProgram(ctx: CliContext, registrars: readonly CommandRegistrar[] = COMMANDS): Command {
  const program = new Command('aikeys')
    .description('Manage the pool of AI provider API keys: import, inspect, check health.')
    // Node 20 itself scans the whole command line for `--env-file` (even after the script name): it
    // loads that file into the environment, and exits 9 when it is missing. `-e` avoids that.
    .option(
      '-e, --env-file <path>',
      'env file to read (default: $AIKEYS_ENV_FILE, else config/.env.local); on Node 20 prefer -e',
    )
    .option('--verbose', 'print the stack trace of unexpected errors')
    .showHelpAfterError('(run `aikeys --help` for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 success; 1 failure, or `health` found no active key; 2 invalid configuration.',
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.out(text),
      writeErr: (text) => ctx.err(text),
      outputError: (text, write) => write(`aikeys: ${text.replace(/^error: /, '')}`),
    });
  for (const register of registrars) register(program, ctx);
  // `program.command()` copies these settings into a subcommand; one built with `new Command()` and
  // `addCommand()` does not, so apply them to every command to be sure.
  for (const command of program.commands) {
    command.exitOverride().configureOutput(program.configureOutput());
  }
  return program;
}

function describeCause(error: Error): string {
  return error.cause instanceof Error ? `\ncaused by: ${error.cause.stack ?? error.cause.message}` : '';
}

/** Reports an error the house way and returns the exit code. */
export function reportError(error: unknown, ctx: CliContext, verbose: boolean): number {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) ctx.err(`aikeys: ${formatConfigProblem(problem)}\n`);
    if (error.problems.length === 0) ctx.err(`aikeys: ${error.message}\n`);
    return EXIT_CONFIG;
  }
  if (error instanceof AikeysError) {
    ctx.err(`aikeys: ${error.message}\n`);
    if (verbose) ctx.err(`${error.stack ?? ''}${describeCause(error)}\n`);
    return EXIT_FAILURE;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  if (verbose) {
    ctx.err(`aikeys: ${err.message}\n${err.stack ?? ''}${describeCause(err)}\n`);
  } else {
    ctx.err(`aikeys: ${err.message} (unexpected error; rerun with --verbose for details)\n`);
  }
  return EXIT_FAILURE;
}

/** Runs one command line (`argv` without the node and script paths) and returns its exit code. */
export async function runCli(
  args: readonly string[],
  ctx: CliContext,
  registrars: readonly CommandRegistrar[] = COMMANDS,
): Promise<number> {
  const program = buildProgram(ctx, registrars);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    // Commander has already printed usage errors; help and --version arrive here with code 0.
    if (error instanceof CommanderError) return error.exitCode;
    return reportError(error, ctx, program.opts<{ verbose?: boolean }>().verbose === true);
  }
}
