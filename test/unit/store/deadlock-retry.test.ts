import { describe, expect, it } from 'vitest';
import { DEADLOCK_DETECTED, retryOnDeadlock } from '../../../src/store/deadlock-retry.js';

const deadlock = () => Object.assign(new Error('deadlock detected'), { code: DEADLOCK_DETECTED });
const noPause = { pauseMs: () => 0 };

/** A write that fails with the given errors, in turn, before it succeeds; counts its runs. */
function failingWith(...errors: Error[]) {
  const write = async (): Promise<string> => {
    write.runs += 1;
    const error = errors.shift();
    if (error) throw error;
    return 'written';
  };
  write.runs = 0;
  return write;
}

describe('retryOnDeadlock', () => {
  it('runs a write again when Postgres aborted it with a deadlock', async () => {
    const write = failingWith(deadlock(), deadlock());
    await expect(retryOnDeadlock(write, noPause)).resolves.toBe('written');
    expect(write.runs).toBe(3);
  });

  it('passes any other error on at once', async () => {
    const write = failingWith(Object.assign(new Error('unique violation'), { code: '23505' }));
    await expect(retryOnDeadlock(write, noPause)).rejects.toThrow('unique violation');
    expect(write.runs).toBe(1);
  });

  it('gives up after the last attempt with the deadlock error', async () => {
    const write = failingWith(deadlock(), deadlock(), deadlock());
    await expect(retryOnDeadlock(write, { ...noPause, attempts: 3 })).rejects.toMatchObject({
      code: DEADLOCK_DETECTED,
    });
    expect(write.runs).toBe(3);
  });
});
