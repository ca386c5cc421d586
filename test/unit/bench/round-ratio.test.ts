/**
 * The pipeline bench's per-round CPU ratio: the median of each round's baseline-over-aikeys CPU per
 * job, so one round run while the machine was busy does not move the figure.
 */
import { describe, expect, it } from 'vitest';
import { roundRatio, type WorkerRun } from '../../../bench/pipeline.js';

const run = (rounds: number[]) => ({ roundCpuUsPerJob: rounds }) as unknown as WorkerRun;

describe('roundRatio', () => {
  it('takes the median of the rounds, so one disturbed round does not count', () => {
    // Rounds 1 and 3 read 0.8; round 2 ran on a busy machine for the baseline only.
    expect(roundRatio(run([800, 2000, 400]), run([1000, 1000, 500]))).toBeCloseTo(0.8);
  });

  it('averages the middle two of an even number of rounds, and skips rounds a variant lacks', () => {
    expect(roundRatio(run([500, 700]), run([1000, 1000, 1000]))).toBeCloseTo(0.6);
    expect(Number.isNaN(roundRatio(run([]), run([1000])))).toBe(true);
  });
});
