import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { HeldReleases, isConnectionError, type HeldRelease } from '../../../src/lease/held-releases.js';

const release = (leaseId: string): HeldRelease => ({
  lease: { leaseId },
  outcome: { kind: 'success', tokens: 1 },
});
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

function capture() {
  const lines: { msg: string; dropped?: number }[] = [];
  return { lines, logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) }) };
}

describe('HeldReleases', () => {
  it('retries until Redis answers and delivers in the order they were held', async () => {
    const sent: string[] = [];
    let down = 3;
    const { logger } = capture();
    const held = new HeldReleases({
      logger,
      firstRetryMs: 5,
      send: (r) => {
        if (down-- > 0) return Promise.reject(refused());
        sent.push(r.lease.leaseId);
        return Promise.resolve();
      },
    });
    for (const id of ['a', 'b', 'c']) held.hold(release(id));
    await expect.poll(() => held.size, { timeout: 5000 }).toBe(0);
    expect(sent).toEqual(['a', 'b', 'c']);
  });

  it('holds at most maxHeld: the next is dropped, logged and counted', () => {
    const { logger, lines } = capture();
    const held = new HeldReleases({
      logger,
      maxHeld: 2,
      firstRetryMs: 60_000,
      send: () => Promise.reject(refused()),
    });
    expect(held.hold(release('a'))).toBe(true);
    expect(held.hold(release('b'))).toBe(true);
    expect(held.hold(release('c'))).toBe(false);
    expect(held.size).toBe(2);
    expect(held.dropped).toBe(1);
    expect(lines.find((l) => l.msg.includes('was dropped'))).toMatchObject({ dropped: 1 });
  });

  it('at shutdown gives up after its deadline and says how many are left', async () => {
    const held = new HeldReleases({
      logger: capture().logger,
      firstRetryMs: 5,
      send: () => Promise.reject(refused()),
    });
    held.hold(release('a'));
    held.hold(release('b'));
    const started = Date.now();
    expect(await held.deliver(100)).toBe(2);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('tells connection failures from refusals', () => {
    expect(isConnectionError(refused())).toBe(true);
    expect(isConnectionError(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }))).toBe(
      true,
    );
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isConnectionError(new Error('ERR Error running script'))).toBe(false);
    expect(isConnectionError('ECONNREFUSED')).toBe(false);
  });
});
