/**
 * A CPU profile of a stretch of this process (node:inspector, the same V8 profiler `node
 * --cpu-prof` uses, but started and stopped around the batch alone so set-up does not count), and
 * a summary: self time per function and per package / source area.
 */
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Per job, against a batch of the raw fetch worker profiled right after (with `compareWith`). */
  readonly versus?: PerJobComparison;
  /** Share of sampled time per function, largest first. */
  readonly functions: readonly { readonly name: string; readonly ms: number; readonly share: number }[];
  /** Share per area: a node_modules package, an src/ folder, node internals, (idle), (gc). */
  readonly areas: readonly { readonly name: string; readonly ms: number; readonly share: number }[];
}

export async function profile<T>(fn: () => Promise<T>): Promise<{ value: T; profile: Profile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    const value = await fn();
    const { profile: result } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
    return { value, profile: result };
  } finally {
    session.disconnect();
  }
}

function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  const src = /\/(src\/[^/]+|bench)\//.exec(url);
  return src?.[1] ?? url;
}

export interface PerJobComparison {
  /** Sampled time outside "(idle)", µs per job: this batch, the other. */
  readonly busyUs: readonly [number, number];
  /** Functions by self time µs per job, largest extra first. */
  readonly functions: readonly { readonly name: string; readonly us: readonly [number, number] }[];
}

function shortName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/(node_modules\/|src\/|bench\/)/, '$1');
  return url === ''
    ? functionName || '(anonymous)'
    : `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

/** Sampled ms per function and per area. */
function selfTimes(p: Profile): {
  total: number;
  fnTime: Map<string, number>;
  areaTime: Map<string, number>;
} {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const fnTime = new Map<string, number>();
  const areaTime = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    // The first sample carries the time from Profiler.start to the first tick, spent inside the
    // inspector's own dispatch: not the batch's.
    if (i === 0) return;
    const node = byId.get(id);
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    if (!node) return;
    total += dt;
    const name = shortName(node);
    fnTime.set(name, (fnTime.get(name) ?? 0) + dt);
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    areaTime.set(area, (areaTime.get(area) ?? 0) + dt);
  });
  return { total, fnTime, areaTime };
}

const IDLE = '(idle)';

/**
 * Where one batch's CPU per job goes beyond another's (aikeys against the fetch worker, profiled one
 * after the other in the same process): self time per function divided by each batch's jobs.
 */
function comparePerJob(a: ProfiledBatch, b: ProfiledBatch, top: number): PerJobComparison {
  const [ta, tb] = [selfTimes(a.profile), selfTimes(b.profile)];
  const perJob = (t: ReturnType<typeof selfTimes>, name: string, jobs: number) =>
    ((t.fnTime.get(name) ?? 0) * 1000) / Math.max(1, jobs);
  const busy = (t: ReturnType<typeof selfTimes>, jobs: number) =>
    ((t.total - (t.fnTime.get(IDLE) ?? 0)) * 1000) / Math.max(1, jobs);
  const names = new Set([...ta.fnTime.keys(), ...tb.fnTime.keys()]);
  names.delete(IDLE);
  const functions = [...names]
    .map((name) => ({ name, us: [perJob(ta, name, a.jobs), perJob(tb, name, b.jobs)] as const }))
    .sort((x, y) => y.us[0] - y.us[1] - (x.us[0] - x.us[1]))
    .slice(0, top);
  return { busyUs: [busy(ta, a.jobs), busy(tb, b.jobs)], functions };
}

export interface ProfiledBatch {
  readonly profile: Profile;
  readonly jobs: number;
}

export function summarise(batch: ProfiledBatch, top = 15, compareWith?: ProfiledBatch): ProfileSummary {
  const { total, fnTime, areaTime } = selfTimes(batch.profile);
  const rank = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ name, ms, share: total ? ms / total : 0 }));
  const summary = { totalMs: total, functions: rank(fnTime, top), areas: rank(areaTime, top) };
  return compareWith ? { ...summary, versus: comparePerJob(batch, compareWith, top) } : summary;
}

export function formatProfile(s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return [
    `CPU profile of the bench process during one aikeys batch (${(s.totalMs / 1000).toFixed(1)} s sampled; "(idle)" = the`,
    'event loop waiting on Redis, Postgres or the provider), self time by area:',
    '',
    '| area | share |',
    '|---|---:|',
    ...s.areas.map((a) => `| ${a.name} | ${pct(a.share)} |`),
    '',
    'Top functions by self time:',
    '',
    '| function | share |',
    '|---|---:|',
    ...s.functions.map((f) => `| \`${f.name}\` | ${pct(f.share)} |`),
    ...(s.versus ? ['', ...formatComparison(s.versus)] : []),
  ].join('\n');
}

function formatComparison(v: PerJobComparison): string[] {
  const us = (x: number) => x.toFixed(1);
  return [
    `Per job against a batch of the raw fetch worker profiled right after it: busy (not idle) ${us(v.busyUs[0])}`,
    `against ${us(v.busyUs[1])} µs; the functions with the most extra self time:`,
    '',
    '| function | aikeys µs / job | fetch µs / job | extra |',
    '|---|---:|---:|---:|',
    ...v.functions.map(
      (f) => `| \`${f.name}\` | ${us(f.us[0])} | ${us(f.us[1])} | ${us(f.us[0] - f.us[1])} |`,
    ),
  ];
}
