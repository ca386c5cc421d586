// For the knex CLI and tools; the application itself migrates through src/store/database.ts.
import type { Knex } from 'knex';
import { DirectoryMigrationSource } from './src/store/migration-source.js';

const config: Knex.Config = {
  client: 'pg',
  connection: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/aikeys',
  migrations: { migrationSource: new DirectoryMigrationSource() },
};

export default config;
