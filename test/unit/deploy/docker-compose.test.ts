/**
 * The compose file's promises to operators, checked statically (this machine has no Docker engine
 * and no image registry, so `docker compose up` itself is not run here): Redis persists and never
 * evicts, a one-shot migrate+import runs before workers and the admin server start, workers scale
 * (no fixed port or container name), as does the front door (`gateway`), and the env file with the
 * plaintext keys goes only to the service that imports; the others get the master key alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  ports?: string[];
  container_name?: string;
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  env_file?: { path: string; required: boolean }[];
  volumes?: string[];
  stop_grace_period?: string;
  healthcheck?: { test: string[] };
}

const compose = parse(readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8'), {
  merge: true,
}) as { services: Record<string, Service> };
const { redis, postgres, migrate, worker, admin, gateway } = compose.services;

/** The TypeScript file a compiled entry (`dist/<path>.js`) is built from. */
function sourceOf(compiled: string): URL {
  expect(compiled).toMatch(/^dist\/.+\.js$/);
  return new URL(`../../../${compiled.replace(/^dist\//, '').replace(/\.js$/, '.ts')}`, import.meta.url);
}

describe('docker-compose.yml', () => {
  it('runs Redis with AOF persistence and maxmemory-policy noeviction', () => {
    const args = redis!.command!.join(' ');
    expect(args).toMatch(/--appendonly yes/);
    expect(args).toMatch(/--maxmemory-policy noeviction/);
    expect(redis!.volumes!.some((v) => v.endsWith(':/data'))).toBe(true);
  });

  it('migrates and imports once, after Redis and Postgres are healthy', () => {
    expect(migrate!.command).toEqual(['node', 'dist/src/cli/main.js', 'import']);
    expect(migrate!.depends_on).toMatchObject({
      redis: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
    });
    expect(postgres!.environment!.POSTGRES_DB).toBe('aikeys');
  });

  it('starts workers and the admin server only after the import succeeded', () => {
    for (const service of [worker!, admin!, gateway!]) {
      expect(service.depends_on).toMatchObject({ migrate: { condition: 'service_completed_successfully' } });
    }
  });

  it('lets workers scale: no fixed port or container name, and time to finish in-flight calls', () => {
    expect(worker!.command).toEqual(['node', 'dist/workers/worker.js']);
    expect(worker!.ports).toBeUndefined();
    expect(worker!.container_name).toBeUndefined();
    expect(worker!.stop_grace_period).toBeDefined();
  });

  it("runs node itself as each aikeys container's first process, so docker stop's SIGTERM reaches it", () => {
    for (const service of [migrate!, worker!, admin!, gateway!]) expect(service.command![0]).toBe('node');
    expect(readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8')).toMatch(/^CMD \["node", /m);
  });

  it('runs compiled entry points that the build makes from existing sources, without tsx', () => {
    expect(admin!.command).toEqual(['node', 'dist/workers/admin.js']);
    for (const service of [migrate!, worker!, admin!, gateway!]) {
      expect(service.command).not.toContain('tsx');
      expect(existsSync(sourceOf(service.command![1]!)), service.command![1]).toBe(true);
    }
  });

  it('gives every aikeys service the same image and services', () => {
    for (const service of [migrate!, worker!, admin!, gateway!]) {
      expect(service.build).toBe('.');
      expect(service.environment).toMatchObject({
        REDIS_URL: 'redis://redis:6379',
        DATABASE_URL: expect.stringMatching(/@postgres:5432\/aikeys$/),
      });
    }
    expect(admin!.environment!.HOST).toBe('0.0.0.0');
  });

  it('mounts the env file with the plaintext keys only into migrate, the service that imports', () => {
    expect(migrate!.environment!.AIKEYS_ENV_FILE).toBe('/app/config/.env.local');
    expect(migrate!.volumes).toEqual(['./config/.env.local:/app/config/.env.local:ro']);
    for (const service of [worker!, admin!, gateway!]) {
      expect(service.environment!.AIKEYS_ENV_FILE).toBeUndefined();
      expect(service.volumes ?? []).toEqual([]);
      expect(JSON.stringify(service)).not.toContain('.env.local');
    }
  });

  it('gives worker and admin the master key as an environment variable, required, and settings without keys', () => {
    for (const service of [worker!, admin!, gateway!]) {
      expect(service.environment!.AI_ENCRYPTION_KEY).toMatch(/^\$\{AI_ENCRYPTION_KEY:\?.+\}$/);
      expect(service.env_file).toEqual([{ path: './config/.env.settings', required: false }]);
    }
    expect(migrate!.environment!.AI_ENCRYPTION_KEY).toBeUndefined();
  });

  it('runs the front door as a gateway service that scales like the workers, ready on /readyz', () => {
    expect(gateway!.command).toEqual(['node', 'dist/workers/gateway.js']);
    expect(gateway!.ports).toBeUndefined();
    expect(gateway!.container_name).toBeUndefined();
    expect(gateway!.image).toBe(worker!.image);
    expect(gateway!.environment!.HOST).toBe('0.0.0.0');
    expect(gateway!.healthcheck!.test.join(' ')).toContain('http://127.0.0.1:3000/readyz');
    expect(gateway!.stop_grace_period).toBeDefined();
    // Its entry point reads the settings without key secrets, as the worker's does.
    const entry = readFileSync(sourceOf(gateway!.command![1]!), 'utf8');
    expect(entry).toContain('loadRuntimeConfig()');
    expect(entry).not.toMatch(/\bloadConfig\(/);
  });

  it("checks each worker replica's readiness on its own probe port, reachable from the compose network", () => {
    expect(worker!.environment!.HOST).toBe('0.0.0.0');
    expect(worker!.healthcheck!.test.join(' ')).toContain('http://127.0.0.1:3000/readyz');
  });
});
