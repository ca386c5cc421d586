import { describe, expect, it } from 'vitest';
import { parseCounts } from '../../../bench/lib/counts-flag.js';

describe('parseCounts', () => {
  it('reads comma-separated counts, spaces allowed', () => {
    expect(parseCounts('10, 100,10000', '--keys')).toEqual([10, 100, 10_000]);
  });

  it.each(['10,x', '10,,100', '', '0', '2.5', '-4'])(
    'rejects "%s", naming the flag and what it got',
    (list) => {
      expect(() => parseCounts(list, '--callers')).toThrow(`--callers takes positive whole numbers`);
      expect(() => parseCounts(list, '--callers')).toThrow(`got "${list}"`);
    },
  );
});
