import { expect } from 'vitest';
import { ConfigError, type ConfigProblem } from '../../../src/core/errors.js';
import { parseConfig } from '../../../src/config/parse-config.js';
import type { ImportableConfig } from '../../../src/config/types.js';

export const FILE = '/etc/aikeys/.env.local';
export const MASTER_KEY = Buffer.alloc(32, 11).toString('base64');
export const ENCRYPTION_LINE = `AI_ENCRYPTION_KEY=${MASTER_KEY}`;

/** Lines joined into a file; line numbers in tests are 1-based indexes into `lines`. */
export function envText(...lines: string[]): string {
  return lines.join('\n');
}

export function parse(text: string, env: Record<string, string | undefined> = {}): ImportableConfig {
  return parseConfig(text, FILE, env);
}

export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but the config loaded');
}

/**
 * The one problem at `line` (or named `name` when line is undefined); checks the message names the
 * file, line and setting, and that no secret appears anywhere in the error.
 */
export function expectProblem(
  text: string,
  where: { line?: number; name?: string; file?: string },
  secrets: readonly string[] = [],
  env: Record<string, string | undefined> = {},
): ConfigProblem {
  const error = configError(() => parse(text, env));
  const matching = error.problems.filter(
    (p) =>
      (where.line === undefined || p.line === where.line) &&
      (where.name === undefined || p.name === where.name),
  );
  expect(matching, error.message).toHaveLength(1);
  const problem = matching[0] as ConfigProblem;
  const file = where.file ?? FILE;
  expect(problem.file).toBe(file);
  expect(error.message).toContain(where.line === undefined ? file : `${file}:${where.line}`);
  if (where.name !== undefined) expect(error.message).toContain(where.name);
  expectNoSecrets(error, secrets);
  return problem;
}

export function expectNoSecrets(error: ConfigError, secrets: readonly string[]): void {
  const everything = `${error.message}\n${JSON.stringify(error.problems)}\n${JSON.stringify(error.context)}`;
  for (const secret of secrets) expect(everything).not.toContain(secret);
}
