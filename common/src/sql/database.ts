import type { DatabaseConfig } from '../config';
import { MysqlDatabase } from './mysql';
import { SqliteDatabase } from './sqlite';
import type { SqlDatabase, SqlDatabaseOptions } from './types';

export * from './types';

/** Opens the database a program owns: a mysql2 pool (two with `batches`) or one better-sqlite3 connection. */
export function openSqlDatabase(config: DatabaseConfig, options: SqlDatabaseOptions = {}): SqlDatabase {
  return config.client === 'sqlite' ? new SqliteDatabase(config) : new MysqlDatabase(config, options);
}
