/**
 * The image's runtime stage, laid out in a temporary directory without Docker: a fresh build
 * (scripts/build.js) as dist/, bin/, config/.env.example, package.json (its `"type": "module"` is
 * what makes dist's .js files ES modules) and a node_modules holding only production packages: a
 * link to each package of this checkout's node_modules that package-lock.json does not mark
 * dev-only, which is the set `npm ci --omit=dev` installs. tsx and TypeScript are then absent, so a
 * compiled file that still needed them, or a run-time file the build did not copy, fails here.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './worker-process.js';

export interface CompiledApp {
  /** The app's directory: the image's /app. */
  readonly dir: string;
  remove(): Promise<void>;
}

interface LockFile {
  packages: Record<string, { dev?: boolean }>;
}

/** Top-level package names (`bullmq`, `@bull-board/api`) that `npm ci --omit=dev` installs. */
export async function productionPackages(): Promise<string[]> {
  const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as LockFile;
  return Object.entries(lock.packages)
    .filter(([, entry]) => entry.dev !== true)
    .map(([key]) => /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(key)?.[1])
    .filter((name): name is string => name !== undefined);
}

export async function prepareCompiledApp(): Promise<CompiledApp> {
  const dir = await mkdtemp(path.join(tmpdir(), 'aikeys-compiled-'));
  try {
    // --no-check: only the output matters here, and `npm run typecheck` checks the types; emitting
    // without the checker halves the build (about 6 s of CPU instead of 13).
    await promisify(execFile)(
      process.execPath,
      ['scripts/build.js', '--out-dir', path.join(dir, 'dist'), '--no-check'],
      { cwd: ROOT },
    );
    await copyFile(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    await cp(path.join(ROOT, 'bin'), path.join(dir, 'bin'), { recursive: true });
    await mkdir(path.join(dir, 'config'));
    await copyFile(path.join(ROOT, 'config/.env.example'), path.join(dir, 'config/.env.example'));
    for (const name of await productionPackages()) {
      const installed = path.join(ROOT, 'node_modules', name);
      // Optional packages for other platforms are in the lock but not installed.
      if (!existsSync(installed)) continue;
      const link = path.join(dir, 'node_modules', name);
      await mkdir(path.dirname(link), { recursive: true });
      await symlink(installed, link, 'dir');
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
