/**
 * Loads the lease scripts once and calls them by SHA. Each script is `lua/<op>-<numKeys>.lua`, with
 * the helpers it includes from `lua/includes/` in place (script-source.ts), so every script is one
 * self-contained EVALSHA. A Redis that forgot the scripts (restart, SCRIPT FLUSH, failover) answers
 * NOSCRIPT: the call is repeated once as EVAL, which also caches the script again.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { assembleScript } from './script-source.js';

export type LeaseScriptName =
  | 'lease'
  | 'release'
  | 'block'
  | 'unblock'
  | 'disable'
  | 'enable'
  | 'unblock-expired'
  | 'reset-daily'
  | 'hydrate'
  | 'forget-written';

const LUA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'lua');

interface LoadedScript {
  readonly source: string;
  readonly sha: string;
  readonly numKeys: number;
}

function readScripts(): Map<LeaseScriptName, LoadedScript> {
  const scripts = new Map<LeaseScriptName, LoadedScript>();
  for (const file of readdirSync(LUA_DIR)) {
    const match = /^(.+)-(\d+)\.lua$/.exec(file);
    if (!match) continue;
    const source = assembleScript(join(LUA_DIR, file));
    scripts.set(match[1] as LeaseScriptName, {
      source,
      sha: createHash('sha1').update(source).digest('hex'),
      numKeys: Number(match[2]),
    });
  }
  return scripts;
}

let cached: Map<LeaseScriptName, LoadedScript> | undefined;

export type ScriptReply = (string | number | null)[];

export interface ScriptCaller {
  call(
    op: LeaseScriptName,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<ScriptReply>;
}

export function createScriptCaller(redis: Redis): ScriptCaller {
  cached ??= readScripts();
  const scripts = cached;
  return {
    async call(op, keys, args) {
      const script = scripts.get(op);
      if (!script) throw new Error(`No lease script named ${op}`);
      if (keys.length !== script.numKeys)
        throw new Error(`lease script ${op} takes ${script.numKeys} KEYS, not ${keys.length}`);
      // One array, not spread arguments: hydrate passes 14 values per key (140,000 for 10,000 keys).
      const argv = [script.sha, keys.length, ...keys, ...args];
      try {
        return (await redis.call('EVALSHA', argv)) as ScriptReply;
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        // EVAL runs the script and caches it on the node that holds the keys; SCRIPT LOAD has no key,
        // so on a Redis Cluster it would reach any node, not necessarily that one.
        return (await redis.call('EVAL', [script.source, ...argv.slice(1)])) as ScriptReply;
      }
    },
  };
}
