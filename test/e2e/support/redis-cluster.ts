/**
 * A Redis Cluster of the test's own: three primaries (no replicas) started from redis-server on
 * spare ports with `--cluster-enabled yes` and joined by `redis-cli --cluster create`. Nothing on the
 * shared Redis is touched. `available()` says whether this machine can run one at all.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './private-redis.js';

export interface RedisCluster {
  /** `redis://127.0.0.1:<port>` of the first node: what REDIS_URL names with AIKEYS_REDIS_CLUSTER=true. */
  readonly url: string;
  readonly ports: readonly number[];
  /** A plain connection to one node (for node-level checks). */
  node(port: number): Redis;
  /** The port of the primary that serves `key`'s slot. */
  ownerOf(key: string): Promise<number>;
  destroy(): Promise<void>;
}

export function clusterToolsMissing(): string | undefined {
  for (const tool of ['redis-server', 'redis-cli']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) return `${tool} not found on PATH`;
  }
  return undefined;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`Redis Cluster: ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRedisCluster(primaries = 3): Promise<RedisCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), 'aikeys-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const nodes = new Map<number, Redis>();
  const node = (port: number) => {
    let client = nodes.get(port);
    if (!client) {
      client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
      client.on('error', () => undefined);
      nodes.set(port, client);
    }
    return client;
  };
  const destroy = async () => {
    for (const client of nodes.values()) client.disconnect();
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < primaries; i++) {
      const port = await freePort();
      ports.push(port);
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ];
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`);
      args.push('--cluster-node-timeout', '5000', '--daemonize', 'no');
      children.push(spawn('redis-server', args, { stdio: 'ignore' }));
    }
    for (const port of ports)
      await until(`node ${port} answers PING`, async () => (await node(port).ping()) === 'PONG');
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (create.status !== 0)
      throw new Error(`redis-cli --cluster create failed:\n${create.stdout}\n${create.stderr}`);
    for (const port of ports)
      await until(`node ${port} reports cluster_state:ok`, async () =>
        (await node(port).cluster('INFO')).includes('cluster_state:ok'),
      );
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${ports[0]}`,
    ports,
    node,
    async ownerOf(key) {
      const first = node(ports[0]!);
      const slot = await first.cluster('KEYSLOT', key);
      const ranges = await first.cluster('SLOTS');
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      const primary = range?.[2];
      if (!primary) throw new Error(`no node serves slot ${slot}`);
      return primary[1];
    },
    destroy,
  };
}
