/**
 * A job's last release is sent on the worker's BullMQ connection ahead of the job's completion:
 * Redis runs a connection's commands in the order written, so the completion can never be seen
 * before the release (a worker killed in between loses neither or only the completion, and the job
 * runs again). And the two leave in one socket write: the connection is corked for the turn.
 */
import { Redis, type Command } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseEngine } from '../../../src/lease/engine.js';
import { createBullConnection } from '../../../src/queues/connections.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { loadKeyStateSnapshot } from '../../../src/store/lease-snapshot.js';
import { isolate } from '../../setup/isolation.js';
import { connectRedis, seedKeys, TEST_SETTINGS } from './fixtures.js';

const env = isolate('lease-completion');
let db: Db;
let redis: Redis;
let completions: Redis;
let engine: LeaseEngine;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  redis = connectRedis(env.redisUrl);
  completions = createBullConnection(env.redisUrl);
  await completions.ping();
  await seedKeys(db, [{}, {}]);
  engine = new LeaseEngine({
    redis,
    completions,
    prefix: env.prefix,
    settings: TEST_SETTINGS,
    loadSnapshot: () => loadKeyStateSnapshot(db),
  });
  await engine.hydrate();
});

afterAll(async () => {
  redis.disconnect();
  completions.disconnect();
  await db.destroy();
  await env.cleanup();
});

/** Records the name of every command sent on `connection`, in order. */
function recordCommands(connection: Redis): { names: string[]; stop(): void } {
  const names: string[] = [];
  const send = connection.sendCommand.bind(connection);
  connection.sendCommand = (command: Command, ...rest: unknown[]) => {
    names.push(command.name.toLowerCase());
    return (send as (c: Command, ...r: unknown[]) => unknown)(command, ...rest) as never;
  };
  return { names, stop: () => void Reflect.deleteProperty(connection, 'sendCommand') };
}

describe('a release before its job completion', () => {
  it('runs before the command that follows it on the completions connection, sent in one write', async () => {
    const stream = `${env.prefix}:usage:test`;
    for (let round = 0; round < 20; round++) {
      const leased = await engine.lease({ provider: 'openai', estimatedTokens: 10 });
      if (!leased.ok) throw new Error(`no key: ${leased.reason}`);
      const own = recordCommands(redis);
      const onCompletions = recordCommands(completions);
      const released = engine.release(
        leased.lease,
        { kind: 'success', tokens: 7 },
        { stream, entry: `record ${round}` },
        { beforeCompletion: true },
      );
      // BullMQ sends the completion a few microtasks after the processor returns.
      for (let i = 0; i < 3; i++) await Promise.resolve();
      const completion = completions.zscore(engine.keys.leases, leased.lease.leaseId);
      const corked = completions.stream.writableCorked;
      own.stop();
      onCompletions.stop();

      expect(await completion).toBeNull();
      expect((await released).released).toBe(true);
      expect(onCompletions.names).toEqual(['fcall', 'zscore']);
      expect(own.names).toEqual([]);
      expect(corked).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(completions.stream.writableCorked).toBe(0);
    }
    expect(await completions.xlen(stream)).toBe(20);
  });

  it('without the option, goes on the engine connection and is answered before the caller goes on', async () => {
    const leased = await engine.lease({ provider: 'openai', estimatedTokens: 10 });
    if (!leased.ok) throw new Error(`no key: ${leased.reason}`);
    const onCompletions = recordCommands(completions);
    const own = recordCommands(redis);
    const released = await engine.release(leased.lease, { kind: 'request_error', status: 400 });
    own.stop();
    onCompletions.stop();
    expect(released.released).toBe(true);
    expect(own.names).toEqual(['fcall']);
    expect(onCompletions.names).toEqual([]);
  });
});
