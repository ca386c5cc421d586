/**
 * LISTEN on a dedicated Postgres connection (a pooled one would drop its LISTEN when returned).
 * Notifications sent while the connection is down are lost, so every (re)connect calls
 * `onConnect`, where the caller reconciles everything the notifications would have said.
 * Reconnects with backoff (200 ms doubling to 10 s) until stopped.
 */
import pg from 'pg';
import type { Logger } from '../core/logger.js';

export interface PgListenerOptions {
  readonly databaseUrl: string;
  /** Channel names: constants of the caller, never input (LISTEN takes no parameters). */
  readonly channels: readonly string[];
  onNotification(channel: string, payload: string): void;
  /** After each (re)connect and LISTEN: the first one included. */
  onConnect(): Promise<void>;
  readonly logger: Logger;
  readonly firstRetryMs?: number;
}

export interface PgListener {
  /** Resolves after the first connect (or the first failed attempt: retries go on). */
  readonly started: Promise<void>;
  /** Connections made so far (1 after the first). */
  readonly connects: number;
  stop(): Promise<void>;
}

const MAX_RETRY_MS = 10_000;

export function startPgListener(options: PgListenerOptions): PgListener {
  const { logger } = options;
  const firstRetryMs = options.firstRetryMs ?? 200;
  let retryMs = firstRetryMs;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let connects = 0;

  function scheduleReconnect(reason: unknown): void {
    if (stopped || timer !== undefined) return;
    logger.warn({ err: reason, retryMs }, 'Postgres LISTEN connection lost; reconnecting');
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, retryMs);
    timer.unref();
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: options.databaseUrl, keepAlive: true });
    client = next;
    next.on('notification', (n) => {
      if (n.payload !== undefined) options.onNotification(n.channel, n.payload);
    });
    next.on('error', (error) => {
      void next.end().catch(() => undefined);
      scheduleReconnect(error);
    });
    next.on('end', () => scheduleReconnect(new Error('connection ended')));
    try {
      await next.connect();
      for (const channel of options.channels) await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      if (stopped) return;
      connects += 1;
      retryMs = firstRetryMs;
      await options.onConnect();
    } catch (error) {
      void next.end().catch(() => undefined);
      scheduleReconnect(error);
    }
  }

  const started = connect();
  return {
    started,
    get connects() {
      return connects;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
