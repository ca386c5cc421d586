/**
 * Every lease script, and every include on its own, defines each helper it uses before the first use.
 * A helper a script forgot to include is not an error Redis reports when it loads the script: Lua
 * reads the name as a global, and the call fails only when that line runs (maybe a rare branch).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleScript } from '../../../src/lease/script-source.js';

const LUA_DIR = join(import.meta.dirname, '../../../src/lease/lua');
const INCLUDES_DIR = join(LUA_DIR, 'includes');

const scripts = readdirSync(LUA_DIR).filter((f) => /^.+-\d+\.lua$/.test(f));
const includes = readdirSync(INCLUDES_DIR).filter((f) => f.endsWith('.lua'));

/** The code without comments and string literals (no lease script has '--' inside a string). */
function codeOnly(source: string): string {
  return source
    .replace(/--\[\[[\s\S]*?\]\]/g, '')
    .replace(/--[^\n]*/g, '')
    .replace(/'[^'\n]*'|"[^"\n]*"/g, "''");
}

/** Names the includes define at their top level: helpers and constants. */
const helpers = includes.flatMap((file) =>
  [...readFileSync(join(INCLUDES_DIR, file), 'utf8').matchAll(/^local (?:function )?(\w+)/gm)].map(
    (m) => m[1]!,
  ),
);

/** Helpers used before (or without) their definition in `source`. */
function usedBeforeDefined(source: string): string[] {
  const code = codeOnly(source);
  return helpers.filter((name) => {
    const definedAt = new RegExp(`^local (?:function )?${name}\\b`, 'm').exec(code)?.index ?? Infinity;
    // A use is a bare name: not a field (C.name) nor a key in a table constructor (name = ...).
    const firstUse = new RegExp(`(?<![.\\w])${name}\\b(?!\\s*=[^=])`).exec(code)?.index ?? Infinity;
    return firstUse < definedAt;
  });
}

describe('lease Lua includes', () => {
  it('finds the scripts and the helpers (the checks below would pass vacuously otherwise)', () => {
    expect(scripts).toContain('lease-release-5.lua');
    expect(helpers).toEqual(expect.arrayContaining(['context', 'load_key', 'reclaim', 'KEY_FORMAT']));
  });

  it.each(scripts)('%s defines every helper it uses ahead of its use', (file) => {
    expect(usedBeforeDefined(assembleScript(join(LUA_DIR, file)))).toEqual([]);
  });

  it.each(includes)('includes/%s includes what it uses itself', (file) => {
    expect(usedBeforeDefined(assembleScript(join(INCLUDES_DIR, file)))).toEqual([]);
  });

  it('catches a script that uses a helper it did not include', () => {
    expect(usedBeforeDefined('--- @include "includes/clock"\nlocal k = load_key(C, 1)')).toEqual([
      'load_key',
    ]);
  });
});
