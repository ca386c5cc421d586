/**
 * Finds PostgreSQL and Redis once for the whole run: TEST_DATABASE_URL / TEST_REDIS_URL when set,
 * else the local services, else containers started with testcontainers when Docker answers.
 * Test files then isolate themselves with `isolate()` (test/setup/isolation.ts).
 */
import net from 'node:net';
import type { TestProject } from 'vitest/node';

const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port), timeout: 1000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

type Stop = () => Promise<unknown>;
const stops: Stop[] = [];

async function startPostgresContainer(): Promise<string> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:16-alpine').withUsername('postgres').start();
  stops.push(() => container.stop());
  return container.getConnectionUri().replace(/\/[^/]*$/, '/postgres');
}

async function startRedisContainer(): Promise<string> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer('redis:7-alpine').start();
  stops.push(() => container.stop());
  return container.getConnectionUrl();
}

async function resolveService(
  name: string,
  explicit: string | undefined,
  local: string,
  start: () => Promise<string>,
): Promise<string> {
  if (explicit) return explicit;
  if (await reachable(local)) return local;
  try {
    return await start();
  } catch (cause) {
    throw new Error(
      `No ${name} for the tests: set TEST_${name === 'PostgreSQL' ? 'DATABASE' : 'REDIS'}_URL, start the local service ` +
        `(see README "Running the tests"), or make Docker available for testcontainers. (${(cause as Error).message})`,
    );
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const databaseUrl = await resolveService(
    'PostgreSQL',
    process.env.TEST_DATABASE_URL,
    LOCAL_DATABASE_URL,
    startPostgresContainer,
  );
  const redisUrl = await resolveService(
    'Redis',
    process.env.TEST_REDIS_URL,
    LOCAL_REDIS_URL,
    startRedisContainer,
  );
  project.provide('adminDatabaseUrl', databaseUrl);
  project.provide('redisUrl', redisUrl);
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    redisUrl: string;
  }
}
