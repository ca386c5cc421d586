/**
 * The Dockerfile's promises, checked statically (no Docker engine on this machine): the image runs
 * compiled JavaScript on Node 24 with production dependencies only, as the unprivileged `node`
 * user, with node itself as the first process. That the build's output runs in that layout is
 * test/e2e/compiled-app.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (file: string) => readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');

/** Each stage's instructions (comments and blank lines dropped), split at FROM. */
function stages(dockerfile: string): string[][] {
  const result: string[][] = [];
  for (const line of dockerfile.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('FROM ')) result.push([]);
    result.at(-1)!.push(line);
  }
  return result;
}

const [build, runtime] = stages(read('Dockerfile'));

describe('Dockerfile', () => {
  it('has a build stage and a runtime stage, both on Node 24', () => {
    expect(stages(read('Dockerfile'))).toHaveLength(2);
    expect(build![0]).toBe('FROM node:24-bookworm-slim AS build');
    expect(runtime![0]).toBe('FROM node:24-bookworm-slim');
  });

  it('compiles in the build stage, with the dev dependencies', () => {
    expect(build).toContain('RUN npm ci --no-audit --no-fund');
    expect(build).toContain('RUN npm run build');
  });

  it('runs dist/ with production dependencies only, as the node user, node as the first process', () => {
    expect(runtime!.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).toBe(true);
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
    expect(runtime).not.toContain('COPY . .');
    expect(runtime).toContain('USER node');
    expect(runtime!.at(-1)).toBe('CMD ["node", "dist/workers/main.js"]');
    expect(existsSync(new URL('../../../workers/main.ts', import.meta.url))).toBe(true);
  });

  it('keeps a local dist/ and the env files out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['dist', 'node_modules', 'config/.env.local']));
  });
});
