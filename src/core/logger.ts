import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths that could hold a secret anywhere in a log record. Secrets are also their own type
 * (`Secret`) that serialises masked, so this list is the second line of defence, not the first.
 */
export const REDACTED_PATHS = [
  'secret',
  'apiKey',
  'api_key',
  'key',
  'encryptionKey',
  'authorization',
  'password',
  '*.secret',
  '*.apiKey',
  '*.api_key',
  '*.encryptionKey',
  '*.authorization',
  '*.password',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  'config.system.encryptionKey',
];

export function createLogger(
  options: { level?: string; name?: string } & Partial<LoggerOptions> = {},
): Logger {
  const { level = 'info', name = 'aikeys', ...rest } = options;
  return pino({
    name,
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...rest,
  });
}

/** A logger that drops everything: the default collaborator in tests and library calls. */
export const silentLogger: Logger = pino({ level: 'silent' });
