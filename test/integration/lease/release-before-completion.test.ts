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
let jobConnection: Redis;
let engine: LeaseEngine;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  redis = connectRedis(env.redisUrl);
  jobConnection = createBullConnection(env.redisUrl);
  await jobConnection.ping();
  await seedKeys(db, [{}, {}]);
  engine = new LeaseEngine({
    redis,
    jobConnection,
    prefix: env.prefix,
    settings: TEST_SETTINGS,
    loadSnapshot: () => loadKeyStateSnapshot(db),
  });
  await engine.hydrate();
});

afterAll(async () => {
  redis.disconnect();
  jobConnection.disconnect();
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
  it('runs before the command that follows it on the job connection, sent in one write', async () => {
    const stream = `${env.prefix}:usage:test`;
    for (let round = 0; round < 20; round++) {
      const leased = await engine.lease({ provider: 'openai', estimatedTokens: 10 });
      if (!leased.ok) throw new Error(`no key: ${leased.reason}`);
      expect(engine.canReleaseAhead()).toBe(true);
      const own = recordCommands(redis);
      const onJob = recordCommands(jobConnection);
      const released = engine.release(
        leased.lease,
        { kind: 'success', tokens: 7 },
        { stream, entry: `record ${round}` },
        { ahead: true },
      );
      // BullMQ sends the completion a few microtasks after the processor returns.
      for (let i = 0; i < 3; i++) await Promise.resolve();
      const completion = jobConnection.zscore(engine.keys.leases, leased.lease.leaseId);
      const corked = jobConnection.stream.writableCorked;
      own.stop();
      onJob.stop();

      expect(await completion).toBeNull();
      expect((await released).released).toBe(true);
      expect(onJob.names).toEqual(['fcall', 'zscore']);
      expect(own.names).toEqual([]);
      expect(corked).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(jobConnection.stream.writableCorked).toBe(0);
    }
    expect(await jobConnection.xlen(stream)).toBe(20);
  });

  it('leases go on the job connection too, admin operations on the engine connection', async () => {
    const onJob = recordCommands(jobConnection);
    const own = recordCommands(redis);
    const leased = await engine.lease({ provider: 'openai', estimatedTokens: 10 });
    if (!leased.ok) throw new Error(`no key: ${leased.reason}`);
    const released = await engine.release(leased.lease, { kind: 'request_error', status: 400 });
    await engine.block(leased.lease.keyId, 1000);
    own.stop();
    onJob.stop();
    expect(released.released).toBe(true);
    expect(onJob.names).toEqual(['fcall', 'fcall']);
    expect(own.names).toEqual(['fcall']);
  });

  it('cannot go ahead while every script call is under way', async () => {
    // Nine requests in one tick fill both calls the engine keeps in flight.
    const leases = Array.from({ length: 9 }, () => engine.lease({ provider: 'openai', estimatedTokens: 1 }));
    await Promise.resolve();
    expect(engine.canReleaseAhead()).toBe(false);
    for (const answer of await Promise.all(leases))
      if (answer.ok) await engine.release(answer.lease, { kind: 'request_error', status: 400 });
    expect(engine.canReleaseAhead()).toBe(true);
  });
});
