import { afterAll, describe, expect, it } from 'vitest';
import { ensureDatabase, openDatabase, type Db } from '../../src/store/database.js';
import { isolate } from '../setup/isolation.js';

const env = isolate('database');
let db: Db | undefined;

afterAll(async () => {
  await db?.destroy();
  await env.cleanup();
});

describe('openDatabase', () => {
  it('creates the missing database, migrates it, and is idempotent', async () => {
    db = await openDatabase(env.databaseUrl);
    const tables = await db('information_schema.tables')
      .where({ table_schema: 'public' })
      .pluck<string[]>('table_name');
    expect(tables).toEqual(expect.arrayContaining(['ai_accounts', 'ai_api_keys', 'ai_request_logs']));
    expect(await ensureDatabase(env.databaseUrl)).toEqual({ created: false });
  });

  it('rejects statuses outside the contract', async () => {
    await expect(
      db!('ai_accounts').insert({
        account_name: 'x',
        provider_name: 'openai',
        priority: 1,
        status: 'paused',
      }),
    ).rejects.toThrow(/ai_accounts_status_check/);
  });
});
