#!/usr/bin/env node
// `npm run build [-- --out-dir <dir>] [-- --no-check]`: compiles the directories tsconfig.build.json
// includes into dist/ (same relative paths: src/cli/main.ts -> dist/src/cli/main.js), then copies
// every other file of those directories (the Lua scripts, the dashboard's page, style and script)
// to the same relative place. The code finds those files next to itself through import.meta.url,
// so the same lookups work from the sources under tsx and from dist/ under node.
// The output directory is emptied first: a file deleted from the sources (a migration above all)
// must not live on in a build.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG = 'tsconfig.build.json';

function fail(message) {
  process.stderr.write(`build: ${message}\n`);
  process.exit(1);
}

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      'out-dir': { type: 'string', default: 'dist' },
      // Emit without type checking (tsc --noCheck): for tests that only need the output, where
      // `npm run typecheck` already checks the types.
      'no-check': { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  fail(`${error.message}; usage: npm run build [-- --out-dir <dir>] [-- --no-check]`);
}

const outDir = path.resolve(ROOT, options['out-dir']);
const included = JSON.parse(readFileSync(path.join(ROOT, CONFIG), 'utf8')).include;
// Single files in `include` (a knexfile, say) have no neighbours to copy.
const sourceDirs = included.filter((entry) => statSync(path.join(ROOT, entry)).isDirectory());
const inside = (child, parent) => child === parent || child.startsWith(parent + path.sep);
// Emptying the output must never reach the checkout itself or its sources.
if (inside(ROOT, outDir) || sourceDirs.some((dir) => inside(outDir, path.join(ROOT, dir))))
  fail(`--out-dir ${options['out-dir']} would overwrite the sources: pick a directory of its own`);

rmSync(outDir, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(
  process.execPath,
  [tsc, '-p', CONFIG, '--outDir', outDir, ...(options['no-check'] ? ['--noCheck'] : [])],
  { cwd: ROOT, stdio: 'inherit' },
);
if (compiled.status !== 0) fail(`tsc -p ${CONFIG} failed (exit ${compiled.status ?? compiled.signal})`);

let copied = 0;
for (const dir of sourceDirs) {
  for (const entry of readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
    const from = path.join(entry.parentPath, entry.name);
    const to = path.join(outDir, path.relative(ROOT, from));
    mkdirSync(path.dirname(to), { recursive: true });
    cpSync(from, to);
    copied += 1;
  }
}
process.stdout.write(
  `build: ${path.relative(ROOT, outDir) || outDir} ready (${copied} non-TypeScript files copied)\n`,
);
