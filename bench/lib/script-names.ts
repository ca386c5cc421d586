/**
 * Names of the Lua scripts a bench sees as EVALSHA <sha>: the lease scripts (assembled as the
 * loader assembles them) and BullMQ's (the scripts its connection defines). Lets the command counter
 * say "evalsha lease 0.50, evalsha moveToFinished 1.00" instead of one EVALSHA line.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as bullScripts from 'bullmq/dist/esm/scripts/index.js';
import { assembleScript } from '../../src/lease/script-source.js';

const LUA_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../src/lease/lua');

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

export function scriptNamesBySha(): Map<string, string> {
  const names = new Map<string, string>();
  for (const file of readdirSync(LUA_DIR)) {
    const match = /^(.+)-\d+\.lua$/.exec(file);
    if (match) names.set(sha1(assembleScript(join(LUA_DIR, file))), `aikeys:${match[1]}`);
  }
  for (const script of Object.values(bullScripts) as { name?: string; content?: string }[]) {
    if (typeof script?.content === 'string' && script.name)
      names.set(sha1(script.content), `bullmq:${script.name}`);
  }
  return names;
}
