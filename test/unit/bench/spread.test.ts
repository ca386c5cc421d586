import { describe, expect, it } from 'vitest';
import { formatSpread } from '../../../bench/lib/spread.js';

describe('formatSpread', () => {
  it('gives the middle value of an odd count and the range', () => {
    expect(formatSpread([0.95, 0.8, 0.88, 0.91, 0.84])).toBe('median 0.88, range 0.80-0.95');
  });

  it('averages the two middle values of an even count', () => {
    expect(formatSpread([0.7, 0.9, 0.6, 0.8])).toBe('median 0.75, range 0.60-0.90');
  });
});
