import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import type { CounterEdit } from '../../../src/lease/hydrate.js';
import { createPoolEdits } from '../../../src/runtime/pool-edits.js';

/** A pool that records what it was asked to refresh (the refresh itself is tested on Redis). */
function recordingPool() {
  const calls: { accounts: number[]; edits: CounterEdit[] }[] = [];
  return {
    calls,
    pool: {
      refresh: (accounts: readonly number[], edits: readonly CounterEdit[]) => {
        calls.push({ accounts: [...accounts].sort(), edits: [...edits] });
        return Promise.resolve({ fresh: false, keys: accounts.length });
      },
    },
  };
}

describe('pool edit notifications', () => {
  it('one refresh per burst: the accounts of every row, and counter edits named by transaction and key', async () => {
    const { calls, pool } = recordingPool();
    const edits = createPoolEdits({ pool, logger: silentLogger });
    edits.take(JSON.stringify({ k: 4, a: [2], u: 0, f: null, x: '901' }));
    edits.take(JSON.stringify({ k: 5, a: [2, 1], u: null, f: null, x: '901' }));
    edits.take(JSON.stringify({ k: null, a: [3], u: null, f: null, x: '902' }));
    await edits.flush();
    expect(calls).toEqual([
      { accounts: [1, 2, 3], edits: [{ keyId: 4, usedToday: 0, failures: null, claim: '901:4' }] },
    ]);
    expect(edits.counts).toEqual({ notifications: 3, refreshes: 1, refused: 0 });
  });

  it('refuses a payload not in the trigger shape, and refreshes nothing for it', async () => {
    const { calls, pool } = recordingPool();
    const edits = createPoolEdits({ pool, logger: silentLogger });
    for (const bad of ['not json', '{}', JSON.stringify({ k: -1, a: [1], u: null, f: null, x: '1' })])
      edits.take(bad);
    edits.take(JSON.stringify({ k: 1, a: [1], u: null, f: null, x: '1; DROP' }));
    await edits.flush();
    expect(calls).toEqual([]);
    expect(edits.counts).toEqual({ notifications: 4, refreshes: 0, refused: 4 });
  });
});
