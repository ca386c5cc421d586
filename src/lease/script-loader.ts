/**
 * Calls the lease operations as functions of one Redis FUNCTION library (library-source.ts): each
 * `lua/<op>-<numKeys>.lua` is one function, called with FCALL. A Redis that does not have the library
 * (first start, restart without persistence, FUNCTION FLUSH, a slot moved to a primary that never
 * had it) answers that the function is not found: the library is loaded (FUNCTION LOAD REPLACE) on
 * every primary and the call repeated once. Functions, unlike cached scripts, are replicated and
 * persisted, so a failover keeps them.
 *
 * Each version of the code loads a library of its own, so the first load of a caller also deletes
 * the other versions' libraries: persisted, they would otherwise pile up with every deploy. A
 * replica still running another version finds its function missing and loads its library again
 * (the path after a FUNCTION FLUSH), without deleting anything if it had loaded before: each caller
 * deletes at most once, so two versions side by side never take turns deleting each other.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, type Redis } from 'ioredis';
import { assembleLibrary, type LeaseLibrary } from './library-source.js';

export type LeaseScriptName =
  | 'lease-release'
  | 'block'
  | 'unblock'
  | 'disable'
  | 'enable'
  | 'unblock-expired'
  | 'reset-daily'
  | 'hydrate'
  | 'forget-written';

const LUA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'lua');
const LIBRARY_PREFIX = 'aikeys_lease';

interface LoadedLibrary {
  readonly library: LeaseLibrary;
  /** Each operation's full function name (built once, not per call) and KEYS count. */
  readonly scripts: ReadonlyMap<LeaseScriptName, { readonly name: string; readonly numKeys: number }>;
}

function readLibrary(): LoadedLibrary {
  const found: { op: LeaseScriptName; fn: string; file: string; numKeys: number }[] = [];
  for (const file of readdirSync(LUA_DIR).sort()) {
    const match = /^(.+)-(\d+)\.lua$/.exec(file);
    if (!match) continue;
    const fn = match[1]!.replaceAll('-', '_');
    found.push({ op: match[1] as LeaseScriptName, fn, file: join(LUA_DIR, file), numKeys: Number(match[2]) });
  }
  const library = assembleLibrary(LIBRARY_PREFIX, found);
  const scripts = new Map(
    found.map(({ op, fn, numKeys }) => [op, { name: library.functionName(fn), numKeys }] as const),
  );
  return { library, scripts };
}

let cached: LoadedLibrary | undefined;

/** The library this code calls (its name changes with the code). */
export function leaseLibrary(): LeaseLibrary {
  cached ??= readLibrary();
  return cached.library;
}

export type ScriptReply = (string | number | null)[];

export interface ScriptCaller {
  call(
    op: LeaseScriptName,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<ScriptReply>;
}

/** The names in a FUNCTION LIST reply (RESP2: per library, a flat list of field, value). */
function libraryNames(reply: unknown): string[] {
  if (!Array.isArray(reply)) return [];
  return reply.flatMap((entry: unknown) => {
    if (!Array.isArray(entry)) return [];
    const at = entry.indexOf('library_name');
    const name: unknown = at >= 0 ? entry[at + 1] : undefined;
    return typeof name === 'string' ? [name] : [];
  });
}

/** Loads `library` on one node and, with `prune`, deletes the other versions of it there. */
async function loadOn(node: Redis, library: LeaseLibrary, prune: boolean): Promise<void> {
  await node.call('FUNCTION', 'LOAD', 'REPLACE', library.source);
  if (!prune) return;
  const listed = await node.call('FUNCTION', 'LIST', 'LIBRARYNAME', `${LIBRARY_PREFIX}_*`);
  for (const name of libraryNames(listed)) {
    if (name === library.name || !name.startsWith(`${LIBRARY_PREFIX}_`)) continue;
    // Another process may have deleted it first.
    await node.call('FUNCTION', 'DELETE', name).catch(() => undefined);
  }
}

function isFunctionMissing(error: unknown): boolean {
  return error instanceof Error && error.message.includes('Function not found');
}

export function createScriptCaller(redis: Redis): ScriptCaller {
  cached ??= readLibrary();
  const { library, scripts } = cached;
  // FUNCTION LOAD names no key: on a Cluster it goes to each primary, so the one that holds the
  // deployment's slot has it whichever that is.
  const primaries = (): Redis[] =>
    (redis as unknown) instanceof Cluster ? (redis as unknown as Cluster).nodes('master') : [redis];
  let loading: Promise<void> | undefined;
  let pruned = false;
  const load = () =>
    (loading ??= Promise.all(primaries().map((node) => loadOn(node, library, !pruned))).then(
      () => {
        pruned = true;
        loading = undefined;
      },
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    ));
  return {
    async call(op, keys, args) {
      const script = scripts.get(op);
      if (!script) throw new Error(`No lease script named ${op}`);
      if (keys.length !== script.numKeys)
        throw new Error(`lease script ${op} takes ${script.numKeys} KEYS, not ${keys.length}`);
      // One array, not spread arguments: hydrate passes 14 values per key (140,000 for 10,000 keys).
      const argv = [script.name, keys.length, ...keys, ...args];
      try {
        return (await redis.call('FCALL', argv)) as ScriptReply;
      } catch (error) {
        if (!isFunctionMissing(error)) throw error;
        await load();
        return (await redis.call('FCALL', argv)) as ScriptReply;
      }
    },
  };
}
