import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

  it('runs the lines up to --- @call once, at load, and the rest as the function body', () => {
    const op = write('op-1.lua', 'local function helper() return 1 end\n--- @call\nreturn helper()');
    const { source, name } = assembleLibrary('lib', [{ fn: 'op', file: op }]);
    const lines = source.split('\n');
    const helper = lines.indexOf('local function helper() return 1 end');
    const body = lines.indexOf('return function(keys, argv)');
    expect(lines[0]).toBe(`#!lua name=${name}`);
    expect(helper).toBeGreaterThan(lines.indexOf(`register('${name}_op', (function()`));
    expect(body).toBeGreaterThan(helper);
    expect(lines.indexOf('return helper()')).toBeGreaterThan(body);
    expect(lines.slice(-2)).toEqual(['end', 'end)())']);
  });

  it('makes an operation without --- @call all body', () => {
    const op = write('op-1.lua', 'return #ARGV');
    const lines = assembleLibrary('lib', [{ fn: 'op', file: op }]).source.split('\n');
    expect(lines.indexOf('return #ARGV')).toBeGreaterThan(lines.indexOf('return function(keys, argv)'));
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
