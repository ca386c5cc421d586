/**
 * The redis-cost bench's tables: instructions per job (the headline ratio), where they go by Redis
 * command handler, commands per job by name (INFO commandstats, server side) and script calls per
 * job by script (client side).
 */

export interface VariantCost {
  /** Instructions Redis executed during the stretch. */
  readonly instructions: number;
  /** Inclusive instructions by Redis C function (callgrind_annotate). */
  readonly byFunction: ReadonlyMap<string, number>;
  /** INFO commandstats calls during the stretch, by command (scripts' inner commands included). */
  readonly commandCalls: ReadonlyMap<string, number>;
  /** Commands this process sent, by name; EVALSHA and FCALL split by script ("fcall aikeys:lease"). */
  readonly clientCommands: ReadonlyMap<string, number>;
}

export interface RedisCostTables {
  readonly jobs: number;
  readonly concurrency: number;
  readonly aikeys: VariantCost;
  readonly raw: VariantCost;
  /** A saturated primary's instructions per second (lib/primary-capacity.ts), when measured. */
  readonly primary?: {
    readonly requestsPerSecond: number;
    readonly instructionsPerRequest: number;
    readonly instructionsPerSecond: number;
  } | null;
}

/** Jobs/s one primary can carry: its instructions per second over a job's (serverCron left out). */
export function ceilingLine(t: RedisCostTables): string | undefined {
  if (!t.primary) return undefined;
  const perJob = (v: VariantCost) => (v.instructions - (v.byFunction.get('serverCron') ?? 0)) / t.jobs;
  const p = t.primary;
  return (
    `one primary: ${n(p.instructionsPerSecond / 1e6)}M instructions/s (redis-benchmark -c 32, a script of 20 HINCRBY: ` +
    `${n(p.requestsPerSecond)} requests/s natively x ${n(p.instructionsPerRequest)} instructions each); ` +
    `ceiling ${n(p.instructionsPerSecond / perJob(t.aikeys))} aikeys jobs/s, ${n(p.instructionsPerSecond / perJob(t.raw))} raw BullMQ jobs/s per primary`
  );
}

/** Rows of the breakdown: a label and the Redis 7.0 function whose inclusive count it shows. */
const HANDLERS: readonly (readonly [string, string])[] = [
  ['all commands (processCommand)', 'processCommand'],
  ['EVALSHA: every Lua script', 'evalShaCommand'],
  ['FCALL: every library function', 'fcallCommand'],
  ['  of which redis.call inside scripts', 'scriptCall'],
  ['XADD (inside the release script)', 'xaddCommand'],
  ['XREADGROUP', 'xreadCommand'],
  ['XACK', 'xackCommand'],
  ['XDEL', 'xdelCommand'],
  ['XTRIM (BullMQ events; the flusher after acknowledging)', 'xtrimCommand'],
  ['XAUTOCLAIM', 'xautoclaimCommand'],
  ['MULTI/EXEC', 'execCommand'],
  ['BZPOPMIN (BullMQ marker wait)', 'bzpopminCommand'],
  ['writing replies', 'handleClientsWithPendingWritesUsingThreads'],
  // Runs hz times a second whatever the load: under valgrind a job lasts ~50x longer, so its share
  // per job here is ~50x what a native Redis spends.
  ['serverCron (per second, not per job)', 'serverCron'],
];

/** INFO commandstats as command -> calls (Redis counts commands run inside scripts too). */
export function parseCommandCalls(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    calls.set(match[1] as string, Number(match[2]));
  return calls;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

/**
 * The headline leaves out serverCron: it runs `hz` times a second whatever the load, and under
 * valgrind a job lasts ~50x longer, so its share per job here is noise of the stretch's length.
 */
export function headline(t: RedisCostTables): string {
  const perJob = (v: VariantCost) => (v.instructions - (v.byFunction.get('serverCron') ?? 0)) / t.jobs;
  const [a, b] = [perJob(t.aikeys), perJob(t.raw)];
  const [aAll, bAll] = [t.aikeys.instructions / t.jobs, t.raw.instructions / t.jobs];
  return (
    `redis instructions per job: aikeys ${n(a)}, raw ${n(b)}, ratio A/B ${(a / b).toFixed(2)}` +
    ` (serverCron left out; with it ${n(aAll)} / ${n(bAll)} = ${(aAll / bAll).toFixed(2)})`
  );
}

function perJobRows(
  t: RedisCostTables,
  pick: (v: VariantCost) => ReadonlyMap<string, number>,
  minPerJob = 0.005,
): string[] {
  const names = new Set([...pick(t.aikeys).keys(), ...pick(t.raw).keys()]);
  return [...names]
    .map(
      (name) =>
        [name, (pick(t.aikeys).get(name) ?? 0) / t.jobs, (pick(t.raw).get(name) ?? 0) / t.jobs] as const,
    )
    .filter(([, a, b]) => a >= minPerJob || b >= minPerJob)
    .sort((x, y) => y[1] + y[2] - (x[1] + x[2]))
    .map(([name, a, b]) => `| ${name} | ${a.toFixed(2)} | ${b.toFixed(2)} |`);
}

export function formatRedisCost(t: RedisCostTables): string {
  const per = (v: VariantCost, fn: string) => (v.byFunction.get(fn) ?? 0) / t.jobs;
  const outside = (v: VariantCost) =>
    v.instructions / t.jobs - per(v, 'processCommand') - per(v, 'serverCron');
  const handlerRows = HANDLERS.filter(
    ([, fn]) => t.aikeys.byFunction.has(fn) || t.raw.byFunction.has(fn),
  ).map(
    ([label, fn]) =>
      `| ${label} | ${n(per(t.aikeys, fn))} | ${n(per(t.raw, fn))} | ${n(per(t.aikeys, fn) - per(t.raw, fn))} |`,
  );
  const ceiling = ceilingLine(t);
  return [
    headline(t),
    ...(ceiling ? [ceiling] : []),
    '',
    `${n(t.jobs)} jobs per variant at concurrency ${t.concurrency}, 0 ms provider latency, one redis-server under callgrind.`,
    '',
    '| Redis instructions per job | aikeys | raw BullMQ | aikeys - raw |',
    '|---|---:|---:|---:|',
    `| total | ${n(t.aikeys.instructions / t.jobs)} | ${n(t.raw.instructions / t.jobs)} | ${n((t.aikeys.instructions - t.raw.instructions) / t.jobs)} |`,
    ...handlerRows,
    `| outside command handlers (reading, parsing, event loop) | ${n(outside(t.aikeys))} | ${n(outside(t.raw))} | ${n(outside(t.aikeys) - outside(t.raw))} |`,
    '',
    '| Redis commands per job (INFO commandstats) | aikeys | raw BullMQ |',
    '|---|---:|---:|',
    ...perJobRows(t, (v) => v.commandCalls),
    '',
    '| sent per job by this process (client side) | aikeys | raw BullMQ |',
    '|---|---:|---:|',
    ...perJobRows(t, (v) => v.clientCommands),
  ].join('\n');
}
