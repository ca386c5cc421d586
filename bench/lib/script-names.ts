/**
 * Names of the Lua code a bench sees as EVALSHA <sha> (BullMQ's scripts, as its connection defines
 * them) or FCALL <function> (the lease functions, named as the loader names them). Lets the command
 * counter say "fcall aikeys:lease 0.25, evalsha bullmq:moveToFinished 1.00" instead of one line each.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as bullScripts from 'bullmq/dist/esm/scripts/index.js';
import { leaseLibrary } from '../../src/lease/script-loader.js';

const LUA_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../src/lease/lua');

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** sha (EVALSHA) or function name (FCALL) -> a readable name. */
export function scriptNamesBySha(): Map<string, string> {
  const names = new Map<string, string>();
  const library = leaseLibrary();
  for (const file of readdirSync(LUA_DIR)) {
    const match = /^(.+)-\d+\.lua$/.exec(file);
    if (match) names.set(library.functionName(match[1]!.replaceAll('-', '_')), `aikeys:${match[1]}`);
  }
  for (const script of Object.values(bullScripts) as { name?: string; content?: string }[]) {
    if (typeof script?.content === 'string' && script.name)
      names.set(sha1(script.content), `bullmq:${script.name}`);
  }
  return names;
}
