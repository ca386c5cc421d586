import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assembleLibrary } from '../../../src/lease/library-source.js';

describe('assembleLibrary', () => {
  let dir: string;
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aikeys-library-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('places includes once for the library, then each operation: its lines up to --- @call at load, the rest per call', () => {
    mkdirSync(join(dir, 'includes'));
    write('includes/shared.lua', 'local function shared() return 0 end');
    const a = write(
      'a-1.lua',
      '--- @include "includes/shared"\nlocal function helper() return 1 end\n--- @call\nreturn helper()',
    );
    const b = write('b-1.lua', '--- @include "includes/shared"\n--- @call\nreturn shared()');
    const { source, name } = assembleLibrary('lib', [
      { fn: 'a', file: a },
      { fn: 'b', file: b },
    ]);
    const lines = source.split('\n').filter((line) => line !== '');
    expect(lines[0]).toBe(`#!lua name=${name}`);
    expect(lines.filter((line) => line === 'local function shared() return 0 end')).toHaveLength(1);
    const at = (line: string) => lines.indexOf(line);
    expect(at('local function shared() return 0 end')).toBeLessThan(
      at('local function helper() return 1 end'),
    );
    expect(at('local function helper() return 1 end')).toBeLessThan(
      at(`register('${name}_a', function(keys, argv)`),
    );
    expect(at(`register('${name}_a', function(keys, argv)`)).toBeLessThan(at('return helper()'));
    expect(at(`register('${name}_b', function(keys, argv)`)).toBeLessThan(at('return shared()'));
    expect(lines.slice(-2)).toEqual(['end)', 'end']);
  });

  it('makes an operation without --- @call all body', () => {
    const op = write('op-1.lua', 'return #ARGV');
    const { source, name } = assembleLibrary('lib', [{ fn: 'op', file: op }]);
    const lines = source.split('\n');
    expect(lines.indexOf('return #ARGV')).toBeGreaterThan(
      lines.indexOf(`register('${name}_op', function(keys, argv)`),
    );
  });

  it('names the library and its functions after the code, so another version gets other names', () => {
    const op = write('op-1.lua', 'return 1');
    const first = assembleLibrary('lib', [{ fn: 'op', file: op }]);
    write('op-1.lua', 'return 2');
    const second = assembleLibrary('lib', [{ fn: 'op', file: op }]);
    expect(first.name).toMatch(/^lib_[0-9a-f]{16}$/);
    expect(second.name).not.toBe(first.name);
    expect(first.functionName('op')).toBe(`${first.name}_op`);
    expect(first.source).toContain(`register('${first.name}_op'`);
  });
});
