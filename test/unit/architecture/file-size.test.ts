/**
 * Source files stay small enough to read in one sitting: none in src/ or workers/ passes 300 lines
 * (the Lua scripts are outside this rule: one atomic operation is one script, however long). A file
 * that grows past it is split by concept, as key-pool.ts was into key-writes.ts and held-releases.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAX_LINES = 300;

function tsFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(rel);
    return entry.name.endsWith('.ts') ? [rel] : [];
  });
}

function lineCount(file: string): number {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

describe('source file size', () => {
  const files = [...tsFiles('src'), ...tsFiles('workers')];

  it('counts lines as wc -l does (the check itself works)', () => {
    expect(files).toContain('src/lease/engine.ts');
    expect(lineCount('src/lease/engine.ts')).toBeGreaterThan(100);
  });

  it(`has no file over ${MAX_LINES} lines`, () => {
    const long = files
      .map((file) => ({ file, lines: lineCount(file) }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});
