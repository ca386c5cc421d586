/**
 * One error base for the whole codebase: a stable machine-readable `code`, whether retrying can help,
 * typed context for logs and API responses, and the underlying `cause`.
 * Expected outcomes (no key free, key exhausted, rate limited) are returned values, not exceptions.
 */
export class AikeysError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; context?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.context = Object.freeze({ ...(options.context ?? {}) });
  }
}

/** One problem found in a configuration source. Never carries a secret value. */
export interface ConfigProblem {
  readonly file: string;
  /** 1-based line number in `file`, when the problem belongs to a line. */
  readonly line?: number;
  /** The setting's name (e.g. `KEY_3_MODEL`), never its value. */
  readonly name?: string;
  readonly message: string;
  /** What the operator should do about it. */
  readonly hint?: string;
}

export function formatConfigProblem(p: ConfigProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  const what = p.name === undefined ? p.message : `${p.name}: ${p.message}`;
  return p.hint === undefined ? `${where}: ${what}` : `${where}: ${what}. ${p.hint}`;
}

/** Startup lists every configuration problem at once rather than failing on the first. */
export class ConfigError extends AikeysError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const lines = problems.map(formatConfigProblem);
    const head =
      problems.length === 1 ? 'Invalid configuration' : `Invalid configuration (${problems.length} problems)`;
    super('CONFIG_INVALID', `${head}:\n  - ${lines.join('\n  - ')}`, { context: { problems } });
    this.problems = Object.freeze([...problems]);
  }
}

export class CryptoError extends AikeysError {}
