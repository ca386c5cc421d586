import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assembleScript } from '../../../src/lease/script-source.js';

describe('assembleScript', () => {
  let dir: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aikeys-lua-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('puts each include in place once, its own includes ahead of it, paths relative to the including file', () => {
    write('includes/base.lua', 'local function base() end');
    write('includes/left.lua', '--- @include "base"\nlocal function left() end');
    write('includes/right.lua', '--- @include "base"\nlocal function right() end');
    write('op-1.lua', '-- op\n--- @include "includes/left"\n--- @include "includes/right"\nreturn 1');

    const lines = assembleScript(join(dir, 'op-1.lua'))
      .split('\n')
      .filter((line) => line !== '');
    expect(lines).toEqual([
      '-- op',
      'local function base() end',
      'local function left() end',
      'local function right() end',
      'return 1',
    ]);
  });

  it('names the including file and line when an include does not exist', () => {
    write('op-1.lua', '-- op\n\n--- @include "includes/missing"\nreturn 1');
    expect(() => assembleScript(join(dir, 'op-1.lua'))).toThrow(
      'op-1.lua:3: included file includes/missing.lua does not exist',
    );
  });

  it('refuses a cycle and shows it', () => {
    write('includes/a.lua', '--- @include "b"');
    write('includes/b.lua', '--- @include "a"');
    write('op-1.lua', '--- @include "includes/a"');
    expect(() => assembleScript(join(dir, 'op-1.lua'))).toThrow(
      'Lua includes form a cycle: op-1.lua -> includes/a.lua -> includes/b.lua -> includes/a.lua',
    );
  });

  it('leaves lines that only look like a directive alone', () => {
    write('op-1.lua', '-- @include "x" is how BullMQ names one\n  --- @include "indented"\nreturn 1');
    expect(assembleScript(join(dir, 'op-1.lua'))).toBe(
      '-- @include "x" is how BullMQ names one\n  --- @include "indented"\nreturn 1',
    );
  });
});
