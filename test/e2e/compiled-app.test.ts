/**
 * What the image runs, checked without Docker: `npm run build`'s output, in the runtime stage's
 * layout with production packages only (support/compiled-app.ts), runs the CLI under plain node:
 * help, a master key, and an import dry run that creates and migrates a new database from the
 * compiled migrations. The compose services on the same layout: compose-services.test.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/store/database.js';
import { isolate } from '../setup/isolation.js';
import { prepareCompiledApp, type CompiledApp } from './support/compiled-app.js';
import { writeTestEnvFile, type TestEnvFile } from './support/env-file.js';
import { ROOT } from './support/worker-process.js';

const env = isolate('e2e-compiled');
let app: CompiledApp;
let envFile: TestEnvFile;

beforeAll(async () => {
  app = await prepareCompiledApp();
  envFile = await writeTestEnvFile([{ prefix: 'sim-ok-compiled-a' }, { prefix: 'sim-ok-compiled-b' }], {});
}, 120_000);

afterAll(async () => {
  await app?.remove();
  if (envFile) await rm(envFile.dir, { recursive: true, force: true });
  await env.cleanup();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node <args>` in the app's directory (or another), as the container would run it. */
async function node(args: readonly string[], cwd = app.dir): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, {
      cwd,
      env: { ...process.env, ...env.env, AIKEYS_ENV_FILE: envFile.file },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Package names a compiled file imports (`import … from 'x'`, `import 'x'`, `import('x')`). */
function importedPackages(code: string): string[] {
  const specifiers = [
    // The keyword `from` after a space or a brace: never the end of a word or string, as in the
    // object literal `{ from: 'from', to: 'to' }`, which the scan once read as a package `, to: `.
    ...code.matchAll(/^\s*(?:import|export)\s[^;]*?[\s}]from\s*['"]([^'"]+)['"]/gm),
    ...code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1]!);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) =>
      s
        .split('/')
        .slice(0, s.startsWith('@') ? 2 : 1)
        .join('/'),
    );
}

describe('the compiled app, with production packages only', () => {
  // TypeScript may be there: the lock marks it devOptional (an optional peer of a production
  // package), which `npm ci --omit=dev` installs too.
  it('has no tsx, like the image', () => {
    expect(existsSync(path.join(app.dir, 'node_modules/bullmq'))).toBe(true);
    expect(existsSync(path.join(app.dir, 'node_modules/tsx'))).toBe(false);
  });

  it('imports no package outside package.json dependencies from any compiled file', async () => {
    const { dependencies } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const dist = path.join(app.dir, 'dist');
    const outside: string[] = [];
    const seen = new Set<string>();
    let files = 0;
    for (const file of await readdir(dist, { recursive: true })) {
      if (!file.endsWith('.js') || file.startsWith(`src${path.sep}http${path.sep}dashboard`)) continue;
      files += 1;
      for (const name of importedPackages(await readFile(path.join(dist, file), 'utf8'))) {
        seen.add(name);
        if (!(name in dependencies)) outside.push(`${file}: ${name}`);
      }
    }
    // The scan reads what it should: the files and the packages the code is known to use.
    expect(files).toBeGreaterThan(50);
    expect([...seen]).toEqual(expect.arrayContaining(['bullmq', 'ioredis', 'knex', '@bull-board/api']));
    expect(outside).toEqual([]);
  });

  it('prints the CLI help and a 32-byte master key under plain node', async () => {
    const help = await node(['dist/src/cli/main.js', '--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^\s+import \[options\]/m);
    const key = await node(['dist/src/cli/main.js', 'gen-key']);
    expect(key.code, key.stderr).toBe(0);
    expect(Buffer.from(key.stdout.trim(), 'base64')).toHaveLength(32);
  });

  it('import --dry-run creates and migrates the database from the compiled migrations, and writes no key', async () => {
    const run = await node(['dist/src/cli/main.js', 'import', '--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Dry run of ${envFile.file}: nothing was written.`);
    expect(run.stdout).toMatch(/Keys: 2 added, 0 changed, 0 disabled, 0 unchanged/);
    // createDb, not openDatabase: that would apply the migrations from the sources itself.
    const db = createDb(env.databaseUrl);
    try {
      expect(await db('ai_api_keys').pluck('key_name')).toEqual([]);
      // The same names as a run from the sources records, so a database migrated by either is
      // up to date for the other.
      const sources = (await readdir(path.join(ROOT, 'migrations'))).map((f) => f.replace(/\.ts$/, ''));
      expect(await db('knex_migrations').orderBy('id').pluck('name')).toEqual(sources.sort());
    } finally {
      await db.destroy();
    }
  });

  it('bin/aikeys.js runs the compiled CLI where tsx is not installed', async () => {
    const run = await node(['bin/aikeys.js', 'gen-key']);
    expect(run.code, run.stderr).toBe(0);
    expect(Buffer.from(run.stdout.trim(), 'base64')).toHaveLength(32);
  });

  it('bin/aikeys.js says what to run when there is neither tsx nor a build', async () => {
    const bare = await mkdtemp(path.join(tmpdir(), 'aikeys-bare-'));
    try {
      await cp(path.join(app.dir, 'bin'), path.join(bare, 'bin'), { recursive: true });
      await cp(path.join(app.dir, 'package.json'), path.join(bare, 'package.json'));
      const run = await node(['bin/aikeys.js', 'keys'], bare);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/tsx is not installed .*run `npm ci`.*`npm run build`/);
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });
});
