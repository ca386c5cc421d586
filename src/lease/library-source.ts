/**
 * The lease operations as one Redis FUNCTION library. Each `lua/<op>-<numKeys>.lua` becomes one
 * library function. The includes of all operations are placed once, at the library's top, so every
 * operation shares one set of helpers (and what they keep between calls, such as parsed states). An
 * operation's own lines up to its `--- @call` line (its helpers and constants) run once, when Redis
 * loads the library; the lines after it are the function's body, run by every call with that call's
 * KEYS and ARGV. An EVALSHA ran the whole script on every call and so built every helper's closure
 * again each time (callgrind: about 45,000 instructions per lease call). An operation without the
 * line is all body.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { assembleText, isInclude } from './script-source.js';

const CALL = /^--- @call\s*$/m;

// A library's code reads a global through its own environment table, which falls back to Redis's
// globals: every read misses once first. A local is one step, and since the helpers are built once
// per load, not per call, capturing them costs nothing per call. The loading code sees few globals
// (Redis gives it only what registering needs), so the locals are filled on the first call.
const NAMES = 'redis, string, math, table, struct, cmsgpack, tonumber, ipairs, pairs, unpack';
const PROLOGUE = [
  'local register = redis.register_function',
  `local function runtime_globals() return ${NAMES} end`,
  `local ${NAMES}`,
  // The current call's KEYS and ARGV, set on entry: the helpers read them as a script reads its
  // globals (Redis runs one call at a time).
  'local KEYS, ARGV',
].join('\n');

export interface LibraryOperation {
  /** The function's name inside the library (letters, digits and underscores). */
  readonly fn: string;
  readonly file: string;
}

/** One operation's own code (its includes taken out) as a block that registers its function. */
function registration(fullName: string, own: string): string {
  const match = CALL.exec(own);
  const definitions = match ? own.slice(0, match.index) : '';
  const body = match ? own.slice(match.index + match[0].length) : own;
  return [
    'do',
    definitions,
    `register('${fullName}', function(keys, argv)`,
    `if not string then ${NAMES} = runtime_globals() end`,
    'KEYS, ARGV = keys, argv',
    body,
    'end)',
    'end',
  ].join('\n');
}

export interface LeaseLibrary {
  /** `<prefix>_<hash of the code>`: each version of the code has a library of its own. */
  readonly name: string;
  /** The FUNCTION LOAD text. */
  readonly source: string;
  /** A function's full name: `<library>_<fn>`. */
  functionName(fn: string): string;
}

/**
 * The library, named after its code, so replicas running different versions (a rolling deploy) each
 * call their own functions on one Redis.
 */
export function assembleLibrary(prefix: string, operations: readonly LibraryOperation[]): LeaseLibrary {
  const NAME = '@library@';
  const placed = new Set<string>();
  const includes: string[] = [];
  const blocks: string[] = [];
  for (const op of operations) {
    // Lines keep their numbers in both halves, so an error names the right line of the file.
    const lines = readFileSync(op.file, 'utf8').split('\n');
    const directives = lines.map((line) => (isInclude(line) ? line : '')).join('\n');
    includes.push(assembleText(directives, op.file, placed));
    const own = lines.map((line) => (isInclude(line) ? '' : line)).join('\n');
    blocks.push(registration(`${NAME}_${op.fn}`, own));
  }
  const text = [`#!lua name=${NAME}`, PROLOGUE, ...includes, ...blocks].join('\n');
  const name = `${prefix}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
  return {
    name,
    source: text.replaceAll(NAME, name),
    functionName: (fn) => `${name}_${fn}`,
  };
}
