import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { defaultAcquireTimeoutMs, type DatabaseConfig } from './config';
import { mysqlConnectionOptions, syncWaitSession, utcSession, wsrepOnSql } from './sql/mysql';

export type { Knex };

/**
 * A Knex instance: what runs the migrations (the schema's one source, for both
 * programs) and, until they move onto the data-access module (`sql/`), the auth-service's
 * repositories. Its MySQL connections are opened as the data-access module opens its own
 * (to the first server of a list: migrations run once, against any node of a cluster);
 * SQLite stores the same strings.
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
        connection: { query(sql: string, done: (error: Error | null, rows?: unknown) => void): void },
        done: (error: Error | null, connection: unknown) => void,
      ) {
        connection.query(utcSession, (error) => {
          if (error || !config.syncWait) return done(error, connection);
          // On a Galera node reads wait for the cluster's earlier commits, as the data-access module's do.
          connection.query(wsrepOnSql, (wsrepError, rows) => {
            if (wsrepError || !onGalera(rows)) return done(wsrepError, connection);
            connection.query(syncWaitSession, (syncError) => done(syncError, connection));
          });
        });
      },
    },
    acquireConnectionTimeout: config.acquireTimeoutMs ?? defaultAcquireTimeoutMs,
  });
}

/** True when `SHOW VARIABLES LIKE 'wsrep_on'` answered ON. */
function onGalera(rows: unknown): boolean {
  if (!Array.isArray(rows)) return false;
  const value: unknown = rows[0]?.Value;
  return typeof value === 'string' && value.toUpperCase() === 'ON';
}

/** True when a Knex instance talks to MySQL/MariaDB (the migrations' one dialect check). */
export function isMySqlKnex(knex: Knex): boolean {
  const client: unknown = knex.client.config.client;
  return client === 'mysql2';
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
