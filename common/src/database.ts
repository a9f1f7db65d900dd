import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import type { DatabaseConfig } from './config';

export type { Knex };

/**
 * One Knex instance per program. MySQL connections run in UTC and return DECIMAL and
 * DATETIME values as strings, so money and time never pass through floats or the
 * local time zone; SQLite stores the same strings.
 */
export function createDatabase(
  config: DatabaseConfig,
  options: {
    /**
     * Let one query carry several statements (MySQL), for executeBatch. Every statement
     * binds its values, so this adds no injection path; only the program that batches
     * (the gateway) turns it on.
     */
    multipleStatements?: boolean;
  } = {},
): Knex {
  if (config.client === 'sqlite') {
    mkdirSync(path.dirname(config.filename), { recursive: true });
    return knex({
      client: 'better-sqlite3',
      connection: { filename: config.filename },
      useNullAsDefault: true,
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
    connection: {
      host: config.host,
      port: config.port,
      user: config.user,
      password: config.password,
      database: config.database,
      timezone: 'Z',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      charset: 'utf8mb4',
      connectTimeout: 5000,
      multipleStatements: options.multipleStatements ?? false,
    },
    pool: {
      min: 0,
      max: config.poolMax,
      afterCreate(
        connection: { query(sql: string, done: (error: Error | null) => void): void },
        done: (error: Error | null, connection: unknown) => void,
      ) {
        connection.query("SET time_zone = '+00:00'", (error) => done(error, connection));
      },
    },
    acquireConnectionTimeout: 5000,
  });
}

/** True when the database answers a trivial query. */
export async function databaseAnswers(db: Knex): Promise<boolean> {
  try {
    await db.raw('select 1');
    return true;
  } catch {
    return false;
  }
}
