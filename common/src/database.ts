import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { defaultAcquireTimeoutMs, type DatabaseConfig } from './config';
import { mysqlConnectionOptions, utcSession } from './sql/mysql';

export type { Knex };

/**
 * A Knex instance: what runs the migrations (the schema's one source, for both
 * programs); every query of the programs goes through the data-access module (`sql/`).
 * Its MySQL connections are opened as the data-access module opens its own; SQLite
 * stores the same strings.
 */
export function createDatabase(config: DatabaseConfig): Knex {
  if (config.client === 'sqlite') {
    mkdirSync(path.dirname(config.filename), { recursive: true });
    return knex({
      client: 'better-sqlite3',
      connection: { filename: config.filename },
      useNullAsDefault: true,
      acquireConnectionTimeout: config.acquireTimeoutMs ?? defaultAcquireTimeoutMs,
      pool: {
        min: 1,
        max: 1,
        afterCreate(connection: { pragma(sql: string): unknown }, done: (error: Error | null) => void) {
          connection.pragma('journal_mode = WAL');
          connection.pragma('synchronous = NORMAL');
          connection.pragma('busy_timeout = 5000');
          connection.pragma('foreign_keys = ON');
          done(null);
        },
      },
    });
  }
  return knex({
    client: 'mysql2',
    connection: mysqlConnectionOptions(config),
    pool: {
      min: 0,
      max: config.poolMax,
      afterCreate(
        connection: { query(sql: string, done: (error: Error | null) => void): void },
        done: (error: Error | null, connection: unknown) => void,
      ) {
        connection.query(utcSession, (error) => done(error, connection));
      },
    },
    acquireConnectionTimeout: config.acquireTimeoutMs ?? defaultAcquireTimeoutMs,
  });
}

/** True when a Knex instance talks to MySQL/MariaDB (the migrations' one dialect check). */
export function isMySqlKnex(knex: Knex): boolean {
  const client: unknown = knex.client.config.client;
  return client === 'mysql2';
}
