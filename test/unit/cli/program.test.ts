/** The CLI's error and exit-code policy, in-process with stub commands (no services needed). */
import { describe, expect, it } from 'vitest';
import { AikeysError, ConfigError } from '../../../src/core/errors.js';
import type { CliContext, CommandRegistrar } from '../../../src/cli/context.js';
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, runCli } from '../../../src/cli/program.js';

function capture(): CliContext & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    env: {},
    stdout: () => out,
    stderr: () => err,
  };
}

/** A command named `fail` that throws what it is given. */
function failing(error: unknown): CommandRegistrar {
  return (program) => {
    program.command('fail').action(() => {
      throw error;
    });
  };
}

const ok: CommandRegistrar = (program, ctx) => {
  program
    .command('ok')
    .option('--json')
    .action((options: { json?: boolean }) => ctx.out(options.json ? '{}\n' : 'fine\n'));
};

describe('runCli', () => {
  it('runs a command and returns 0', async () => {
    const ctx = capture();
    expect(await runCli(['ok'], ctx, [ok])).toBe(EXIT_OK);
    expect(ctx.stdout()).toBe('fine\n');
    expect(ctx.stderr()).toBe('');
  });

  it('accepts the global options after the command name', async () => {
    const ctx = capture();
    expect(await runCli(['ok', '--json', '-e', 'some.env', '--verbose'], ctx, [ok])).toBe(EXIT_OK);
    expect(ctx.stdout()).toBe('{}\n');
  });

  it('prints each config problem on its own line naming file and line, and exits 2', async () => {
    const ctx = capture();
    const error = new ConfigError([
      { file: '/etc/aikeys/.env', line: 3, name: 'KEY_3_MODLE', message: 'unknown key setting' },
      { file: '/etc/aikeys/.env', message: 'Encryption key not configured', hint: 'run `aikeys gen-key`' },
    ]);
    expect(await runCli(['fail'], ctx, [failing(error)])).toBe(EXIT_CONFIG);
    expect(ctx.stderr()).toBe(
      'aikeys: /etc/aikeys/.env:3: KEY_3_MODLE: unknown key setting\n' +
        'aikeys: /etc/aikeys/.env: Encryption key not configured. run `aikeys gen-key`\n',
    );
  });

  it('prints an expected error as one line without a stack, even when it has a cause', async () => {
    const ctx = capture();
    const error = new AikeysError('DATABASE_UNREACHABLE', 'Cannot connect to PostgreSQL', {
      cause: new Error('ECONNREFUSED'),
    });
    expect(await runCli(['fail'], ctx, [failing(error)])).toBe(EXIT_FAILURE);
    expect(ctx.stderr()).toBe('aikeys: Cannot connect to PostgreSQL\n');
  });

  it('prints an unexpected error with a hint, and its stack only with --verbose', async () => {
    const quiet = capture();
    expect(await runCli(['fail'], quiet, [failing(new TypeError('x is undefined'))])).toBe(EXIT_FAILURE);
    expect(quiet.stderr()).toBe(
      'aikeys: x is undefined (unexpected error; rerun with --verbose for details)\n',
    );

    const verbose = capture();
    expect(await runCli(['--verbose', 'fail'], verbose, [failing(new TypeError('x is undefined'))])).toBe(
      EXIT_FAILURE,
    );
    expect(verbose.stderr()).toMatch(/^aikeys: x is undefined\nTypeError: x is undefined\n\s+at /);
  });

  it('turns usage errors into one `aikeys:` line and a non-zero exit', async () => {
    const ctx = capture();
    expect(await runCli(['ok', '--nope'], ctx, [ok])).toBe(EXIT_FAILURE);
    expect(ctx.stderr()).toMatch(/^aikeys: unknown option '--nope'\n/);
  });

  it('--help goes to stdout, names the exit codes, and exits 0', async () => {
    const ctx = capture();
    expect(await runCli(['--help'], ctx)).toBe(EXIT_OK);
    expect(ctx.stdout()).toContain('Exit codes: 0 success');
    for (const command of ['gen-key', 'migrate', 'import', 'keys', 'health'])
      expect(ctx.stdout()).toContain(command);
  });

  it('gen-key prints a fresh key each time', async () => {
    const a = capture();
    const b = capture();
    expect(await runCli(['gen-key'], a)).toBe(EXIT_OK);
    expect(await runCli(['gen-key'], b)).toBe(EXIT_OK);
    expect(Buffer.from(a.stdout().trim(), 'base64')).toHaveLength(32);
    expect(a.stdout()).not.toBe(b.stdout());
    expect(a.stderr()).toContain('config/.env.local');
  });
});
