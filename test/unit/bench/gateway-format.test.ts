import { describe, expect, it } from 'vitest';
import {
  formatGatewayBench,
  gatewayFigures,
  type GatewayBenchResult,
} from '../../../bench/lib/gateway-format.js';

const loop = (perSecond: number, p50Ms: number, p99Ms: number, failed = 0, cpuUsPerRequest = 400) => ({
  ops: perSecond * 3,
  perSecond,
  p50Ms,
  p99Ms,
  failed,
  cpuUsPerRequest,
});

function result(frontDoorRate: number, frontDoorP50: number): GatewayBenchResult {
  return {
    concurrency: 64,
    latencyMs: 0,
    rounds: 3,
    paths: {
      direct: loop(2000, 30, 60),
      pipeline: loop(1000, 60, 120),
      frontDoor: loop(frontDoorRate, frontDoorP50, 130, 2, 650),
      frontDoorStream: loop(700, 80, 150),
    },
  };
}

describe('the gateway bench table', () => {
  it('computes the front door against the queue pipeline and says which goal was met', () => {
    expect(gatewayFigures(result(900, 62))).toEqual({ ratio: 0.9, addedP50Ms: 2, addedP99Ms: 10 });
    const text = formatGatewayBench(result(900, 62));
    expect(text).toContain('front door / queue pipeline: 0.90 requests/s (goal >= 0.8: met)');
    expect(text).toContain('p50 2.00 ms (goal < 3 ms: met)');
    expect(text).toContain(
      '| openai client -> front door -> pipeline | 900 (2 failed) | 62.00 | 130.00 | 32.00 | 70.00 |',
    );
  });

  it("gives each path's requests per CPU-second over the pipeline's", () => {
    // The pipeline's 400 µs against the front door's 650: 0.62 of its requests per CPU-second.
    expect(formatGatewayBench(result(900, 62))).toContain('| 650 | 0.62 |');
  });

  it('prints only the paths a run was limited to, without the ratios that need both', () => {
    const { frontDoor } = result(900, 62).paths;
    const text = formatGatewayBench({ concurrency: 64, latencyMs: 0, rounds: 1, paths: { frontDoor } });
    expect(text).toContain(
      '| openai client -> front door -> pipeline | 900 (2 failed) | 62.00 | 130.00 | - | - | 650 | - |',
    );
    expect(text).not.toContain('(direct)');
    expect(text).not.toContain('front door / queue pipeline');
    expect(
      gatewayFigures({ concurrency: 64, latencyMs: 0, rounds: 1, paths: { frontDoor } }),
    ).toBeUndefined();
  });

  it("adds the front door's own process to the table when it ran in one", () => {
    const base = result(900, 62);
    const text = formatGatewayBench({
      ...base,
      paths: { ...base.paths, frontDoor: { ...base.paths.frontDoor!, gatewayCpuUsPerRequest: 210 } },
    });
    expect(text).toContain('| of which the front-door process |');
    expect(text).toContain('| 650 | 0.62 | 210 |');
    expect(text).toContain('| 400 | 1.00 | - |');
  });

  it('says MISSED when a goal is missed', () => {
    const text = formatGatewayBench(result(500, 90));
    expect(text).toContain('0.50 requests/s (goal >= 0.8: MISSED)');
    expect(text).toContain('p50 30.00 ms (goal < 3 ms: MISSED)');
  });
});
