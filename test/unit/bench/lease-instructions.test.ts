import { describe, expect, it } from 'vitest';
import { formatInstructions } from '../../../bench/lease-instructions.js';
import { callgrindTotal } from '../../../bench/lib/callgrind-redis.js';

describe('callgrindTotal', () => {
  it('reads the totals line of a callgrind output file', () => {
    const output = [
      '# callgrind format',
      'events: Ir',
      'summary: 0',
      'fn=(1) main',
      '5 120',
      'totals: 744433259',
      '',
    ];
    expect(callgrindTotal(output.join('\n'))).toBe(744_433_259);
  });

  it('says so when the file has no totals (a run cut short)', () => {
    expect(() => callgrindTotal('events: Ir\nsummary: 0\n')).toThrow('no "totals:" line');
  });
});

describe('formatInstructions', () => {
  it('compares every pool with the smallest one measured at the same caller count', () => {
    const text = formatInstructions([
      { keys: 10, callers: 16, pairs: 100, instructionsPerPair: 200_000 },
      { keys: 10_000, callers: 16, pairs: 100, instructionsPerPair: 250_000 },
      { keys: 100, callers: 64, pairs: 100, instructionsPerPair: 300_000 },
      { keys: 10_000, callers: 64, pairs: 100, instructionsPerPair: 200_000 },
    ]);
    expect(text.split('\n').slice(2)).toEqual([
      '| 10 | 16 | 200000 | 1.00x |',
      '| 10000 | 16 | 250000 | 0.80x |',
      '| 100 | 64 | 300000 | 1.00x |',
      '| 10000 | 64 | 200000 | 1.50x |',
    ]);
  });
});
