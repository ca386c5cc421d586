import { afterAll, describe, expect, it } from 'vitest';
import { ensureDatabase, migrateLatest, openDatabase, type Db } from '../../src/store/database.js';
import { DirectoryMigrationSource } from '../../src/store/migration-source.js';
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

  it('rolls every migration back and applies them again', async () => {
    const foreignKeys = () =>
      db!('information_schema.table_constraints')
        .where({ table_name: 'ai_request_logs', constraint_type: 'FOREIGN KEY' })
        .orderBy('constraint_name')
        .pluck<string[]>('constraint_name');
    const source = { migrationSource: new DirectoryMigrationSource() };
    // The usage log keeps its account reference only (migrations/004 says why).
    expect(await foreignKeys()).toEqual(['ai_request_logs_account_id_foreign']);
    const usageColumns = () =>
      db!('information_schema.columns')
        .where({ table_name: 'ai_request_logs' })
        .whereIn('column_name', ['call_id', 'usage_estimated'])
        .orderBy('column_name')
        .pluck<string[]>('column_name');
    expect(await usageColumns()).toEqual(['call_id', 'usage_estimated']);
    expect(await db!.schema.hasTable('ai_usage_rejects')).toBe(true);
    expect(await db!.schema.hasColumn('ai_request_logs', 'client')).toBe(true);
    const failuresIndex = () =>
      db!('pg_indexes')
        .where({ tablename: 'ai_request_logs', indexname: 'ai_request_logs_failures' })
        .pluck<string[]>('indexname');
    expect(await failuresIndex()).toEqual(['ai_request_logs_failures']);
    expect(await db!.schema.hasTable('ai_key_daily_usage_detail')).toBe(true);
    expect(await db!.schema.hasColumn('ai_maintenance_periods', 'detailed')).toBe(true);
    await db!.migrate.down(source); // 013: daily usage per model and client
    expect(await db!.schema.hasTable('ai_key_daily_usage_detail')).toBe(false);
    expect(await db!.schema.hasColumn('ai_maintenance_periods', 'detailed')).toBe(false);
    await db!.migrate.down(source); // 012: the failures index
    expect(await failuresIndex()).toEqual([]);
    const triggers = () =>
      db!('information_schema.triggers')
        .distinct('trigger_name')
        .orderBy('trigger_name')
        .pluck<string[]>('trigger_name');
    expect(await triggers()).toEqual([
      'ai_accounts_edit_notify',
      'ai_api_keys_edit_normalize',
      'ai_api_keys_edit_notify',
    ]);
    await db!.migrate.down(source); // 011: the edit triggers
    expect(await triggers()).toEqual([]);
    expect(await db!.schema.hasTable('ai_config_status')).toBe(true);
    await db!.migrate.down(source); // 010: the config status
    expect(await db!.schema.hasTable('ai_config_status')).toBe(false);
    await db!.migrate.down(source); // 009: the client name
    expect(await db!.schema.hasColumn('ai_request_logs', 'client')).toBe(false);
    expect(await db!.schema.hasTable('ai_key_daily_usage')).toBe(true);
    await db!.migrate.down(source); // 008: daily history and closed periods
    expect(await db!.schema.hasTable('ai_key_daily_usage')).toBe(false);
    expect(await db!.schema.hasTable('ai_maintenance_periods')).toBe(false);
    expect(await db!.schema.hasTable('ai_admin_actions')).toBe(true);
    await db!.migrate.down(source); // 006: the audit trail
    expect(await db!.schema.hasTable('ai_admin_actions')).toBe(false);
    expect(await db!.schema.hasTable('ai_usage_rejects')).toBe(true);
    await db!.migrate.down(source); // 005: call ids, estimated usage, rejects
    expect(await usageColumns()).toEqual([]);
    expect(await db!.schema.hasTable('ai_usage_rejects')).toBe(false);
    await db!.migrate.down(source); // 004: the key reference
    expect(await foreignKeys()).toEqual([
      'ai_request_logs_account_id_foreign',
      'ai_request_logs_key_id_foreign',
    ]);
    await db!.migrate.rollback(source, true);
    const left = await db!('information_schema.tables')
      .where({ table_schema: 'public' })
      .whereLike('table_name', 'ai_%')
      .pluck<string[]>('table_name');
    expect(left).toEqual([]);
    expect(await migrateLatest(db!)).toHaveLength((await source.migrationSource.getMigrations()).length);
    expect(await foreignKeys()).toEqual(['ai_request_logs_account_id_foreign']);
    expect(await usageColumns()).toEqual(['call_id', 'usage_estimated']);
  });
});
