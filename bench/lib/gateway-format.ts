/**
 * The gateway bench's table: each path's requests/s, latency and CPU in the aikeys process per
 * request, what it adds over calling the provider directly, and the two goals (front door / queue pipeline >= 0.8 in requests/s, added
 * p50 over the pipeline < 3 ms).
 */
import type { LoopResult } from './closed-loop.js';

export type GatewayPath =
  | 'direct'
  | 'pipeline'
  | 'frontDoor'
  | 'frontDoorStream'
  /** The same two through another checkout's front door (`--other`). */
  | 'frontDoorOther'
  | 'frontDoorStreamOther';

export interface GatewayBenchResult {
  readonly concurrency: number;
  readonly latencyMs: number;
  readonly rounds: number;
  /** Every path, unless the run was limited to some (`--paths`). */
  readonly paths: Readonly<Partial<Record<GatewayPath, GatewayPathResult>>>;
}

export type GatewayPathResult = LoopResult & {
  readonly failed: number;
  readonly cpuUsPerRequest: number;
  /** With --gateway-process, a front door's own process (also counted in cpuUsPerRequest). */
  readonly gatewayCpuUsPerRequest?: number;
};

export const RATIO_GOAL = 0.8;
export const ADDED_P50_GOAL_MS = 3;

const LABELS: Readonly<Record<GatewayPath, string>> = {
  direct: 'openai client -> simulated provider (direct)',
  pipeline: 'BullMQ producer waiting on results (queue pipeline)',
  frontDoor: 'openai client -> front door -> pipeline',
  frontDoorStream: 'openai client -> front door, stream: true',
  frontDoorOther: "openai client -> other checkout's front door -> pipeline",
  frontDoorStreamOther: "openai client -> other checkout's front door, stream: true",
};

export interface GatewayFigures {
  ratio: number;
  addedP50Ms: number;
  addedP99Ms: number;
}

/** The front door against the queue pipeline; undefined when the run left either out. */
export function gatewayFigures(result: GatewayBenchResult): GatewayFigures | undefined {
  const { frontDoor, pipeline } = result.paths;
  if (frontDoor === undefined || pipeline === undefined) return undefined;
  return {
    ratio: frontDoor.perSecond / pipeline.perSecond,
    addedP50Ms: frontDoor.p50Ms - pipeline.p50Ms,
    addedP99Ms: frontDoor.p99Ms - pipeline.p99Ms,
  };
}

/** Requests per aikeys-process CPU-second of `path` over the queue pipeline's (1: no CPU of its own). */
function cpuRatio(result: GatewayBenchResult, path: GatewayPath): string {
  const { pipeline } = result.paths;
  const other = result.paths[path];
  if (pipeline === undefined || other === undefined) return '-';
  return (pipeline.cpuUsPerRequest / other.cpuUsPerRequest).toFixed(2);
}

export function formatGatewayBench(result: GatewayBenchResult): string {
  const { direct } = result.paths;
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const ms = (x: number) => x.toFixed(2);
  const overDirect = (x: number, d: number | undefined) => (d === undefined ? '-' : ms(x - d));
  const own = Object.values(result.paths).some((r) => r.gatewayCpuUsPerRequest !== undefined);
  const ownCell = (r: GatewayPathResult) =>
    own ? ` ${r.gatewayCpuUsPerRequest === undefined ? '-' : n(r.gatewayCpuUsPerRequest)} |` : '';
  const rows = (Object.keys(LABELS) as GatewayPath[]).flatMap((path) => {
    const r = result.paths[path];
    if (r === undefined) return [];
    const failed = r.failed > 0 ? ` (${r.failed} failed)` : '';
    return `| ${LABELS[path]} | ${n(r.perSecond)}${failed} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${overDirect(r.p50Ms, direct?.p50Ms)} | ${overDirect(r.p99Ms, direct?.p99Ms)} | ${n(r.cpuUsPerRequest)} | ${cpuRatio(result, path)} |${ownCell(r)}`;
  });
  const lines = [
    `Concurrency ${result.concurrency}, provider latency ${result.latencyMs} ms, ${result.rounds} interleaved rounds.`,
    '',
    `| path | requests/s | p50 ms | p99 ms | added p50 over direct | added p99 over direct | aikeys-process CPU µs / request | requests per CPU-second / pipeline |${own ? ' of which the front-door process |' : ''}`,
    `|---|---:|---:|---:|---:|---:|---:|---:|${own ? '---:|' : ''}`,
    ...rows,
  ];
  const figures = gatewayFigures(result);
  const { frontDoor, pipeline } = result.paths;
  if (figures === undefined || frontDoor === undefined || pipeline === undefined) return lines.join('\n');
  const { ratio, addedP50Ms, addedP99Ms } = figures;
  const addedCpu = frontDoor.cpuUsPerRequest - pipeline.cpuUsPerRequest;
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  return [
    ...lines,
    '',
    `front door / queue pipeline: ${ratio.toFixed(2)} requests/s (goal >= ${RATIO_GOAL}: ${verdict(ratio >= RATIO_GOAL)})`,
    `added over the queue pipeline: p50 ${ms(addedP50Ms)} ms (goal < ${ADDED_P50_GOAL_MS} ms: ${verdict(addedP50Ms < ADDED_P50_GOAL_MS)}), p99 ${ms(addedP99Ms)} ms, CPU ${n(addedCpu)} µs per request`,
  ].join('\n');
}
