import { Writable } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChildLogger } from '../../../src/gateway/lazy-request-logger.js';

function capture(): { logger: FastifyBaseLogger; lines: Record<string, unknown>[]; children: () => number } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  let made = 0;
  const child = logger.child;
  logger.child = function (this: typeof logger, ...args: Parameters<typeof child>) {
    made += 1;
    return child.apply(this, args);
  } as typeof child;
  return { logger, lines, children: () => made };
}

const make = (parent: FastifyBaseLogger, level?: string) =>
  lazyChildLogger.call(
    {} as FastifyInstance,
    parent,
    { reqId: 'req-7' },
    level === undefined ? {} : { level },
    {} as never,
  );

describe('the front door request logger', () => {
  it('makes no pino child for a request that logs nothing', () => {
    const { logger, children } = capture();
    const log = make(logger);
    expect(log.level).toBe('info');
    expect(children()).toBe(0);
  });

  it("logs through a child with the request's bindings once a line is logged", async () => {
    const { logger, lines, children } = capture();
    const log = make(logger);
    log.error({ err: new Error('boom') }, 'front door request failed');
    log.debug('below the level');
    expect(children()).toBe(1);
    log.child({ step: 'relay' }).warn('nested');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => [l.reqId, l.msg, l.step])).toEqual([
      ['req-7', 'front door request failed', undefined],
      ['req-7', 'nested', 'relay'],
    ]);
  });

  it("keeps a route's own level", () => {
    const { logger } = capture();
    expect(make(logger, 'warn').level).toBe('warn');
  });
});
