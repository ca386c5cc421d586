/**
 * The lease operations as one Redis FUNCTION library. Each `lua/<op>-<numKeys>.lua`, its includes in
 * place (script-source.ts), becomes one library function. The lines of an operation up to its
 * `--- @call` line (includes, its own helpers and constants) run once, when Redis loads the library;
 * the lines after it are the function's body, run by every call with that call's KEYS and ARGV. An
 * EVALSHA ran the whole file on every call and so built every helper's closure again each time
 * (callgrind: about 45,000 instructions per lease call). An operation without the line is all body.
 */
import { createHash } from 'node:crypto';
import { assembleScript } from './script-source.js';

const CALL = /^--- @call\s*$/m;

// A library's code reads a global through its own environment table, which falls back to Redis's
// globals: every read misses once first. A local is one step, and since the helpers are built once
// per load, not per call, capturing them costs nothing per call. The loading code sees few globals
// (Redis gives it only what registering needs), so the locals are filled on the first call.
const NAMES = 'redis, string, math, table, struct, cmsgpack, tonumber, ipairs, pairs, unpack';
const GLOBALS = [
  'local register = redis.register_function',
  `local function runtime_globals() return ${NAMES} end`,
  `local ${NAMES}`,
].join('\n');

export interface LibraryOperation {
  /** The function's name inside the library (letters, digits and underscores). */
  readonly fn: string;
  readonly file: string;
}

/** One operation as a library statement that registers its function. */
function registration(fullName: string, source: string): string {
  const match = CALL.exec(source);
  const definitions = match ? source.slice(0, match.index) : '';
  const body = match ? source.slice(match.index + match[0].length) : source;
  return [
    `register('${fullName}', (function()`,
    // The call's KEYS and ARGV, set on entry: the operation's helpers read them as a script reads
    // its globals.
    'local KEYS, ARGV',
    definitions,
    'return function(keys, argv)',
    `if not string then ${NAMES} = runtime_globals() end`,
    'KEYS, ARGV = keys, argv',
    body,
    'end',
    'end)())',
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
  const text = [
    `#!lua name=${NAME}`,
    GLOBALS,
    ...operations.map((op) => registration(`${NAME}_${op.fn}`, assembleScript(op.file))),
  ].join('\n');
  const name = `${prefix}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
  return {
    name,
    source: text.replaceAll(NAME, name),
    functionName: (fn) => `${name}_${fn}`,
  };
}
