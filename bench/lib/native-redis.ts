/**
 * A plain redis-server of the bench's own on a spare port (no persistence), so server-wide figures
 * (used_memory, INFO commandstats) are the bench's alone, not those of everything sharing the
 * usual Redis. `close()` stops it.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface NativeRedis {
  readonly port: number;
  readonly url: string;
  readonly redis: Redis;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startNativeRedis(): Promise<NativeRedis> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', [...args, '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null, retryStrategy: () => 50 });
  redis.on('error', () => undefined);
  const close = async () => {
    redis.disconnect();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('redis-server did not start within 10 s')), 10_000),
      ),
    ]);
  } catch (error) {
    await close();
    throw error;
  }
  return { port, url: `redis://127.0.0.1:${port}`, redis, close };
}
