/**
 * The front door's per-request logger, made on first use. fastify gives every request a child
 * logger bound to its request id; pino builds a child's bindings (and its redaction of them) when
 * it is made, although the front door logs nothing for a request that goes well (request logging
 * is off). This stand-in costs one small object per request and makes the real child only when a
 * line is logged, with the same bindings and options.
 */
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type LogMethod = FastifyBaseLogger['info'];
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

class LazyChildLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  // On the prototype (below): a request's logger allocates no closures.
  declare readonly fatal: LogMethod;
  declare readonly error: LogMethod;
  declare readonly warn: LogMethod;
  declare readonly info: LogMethod;
  declare readonly debug: LogMethod;
  declare readonly trace: LogMethod;
  declare readonly silent: LogMethod;

  get real(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }
}

for (const level of LEVELS) {
  Object.defineProperty(LazyChildLogger.prototype, level, {
    value(this: LazyChildLogger, ...args: unknown[]): void {
      (this.real[level] as (...a: unknown[]) => void)(...args);
    },
  });
}

/** For fastify's `childLoggerFactory`. */
export const lazyChildLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger,
  bindings,
  options,
) => new LazyChildLogger(logger, bindings, options);
