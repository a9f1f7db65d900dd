import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { defaultAcquireTimeoutMs, type DatabaseConfig, type DatabaseHost } from './config';
import { acceptsConnections } from './tcp';
import { mysqlConnectionOptions, syncWaitSession, utcSession, wsrepOnSql } from './sql/mysql';

export type { Knex };

/**
 * A Knex instance: what runs the migrations (the schema's one source, for both
 * programs); every query of the programs goes through the data-access module (`sql/`).
 * Its MySQL connections are opened as the data-access module opens its own (to the first
 * server of a list that accepts connections when the first one opens: a migration run is
 * short); SQLite stores the same strings.
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
    connection:
      config.hosts.length === 1
        ? mysqlConnectionOptions(config)
        : // Called once, when the first connection opens: Knex keeps the answer.
          async () => mysqlConnectionOptions(config, await firstAccepting(config.hosts, config.acquireTimeoutMs)),
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

/** The first server of the list that accepts a TCP connection (the first one when none does: its error is reported). */
async function firstAccepting(hosts: DatabaseHost[], timeoutMs = defaultAcquireTimeoutMs): Promise<DatabaseHost> {
  for (const server of hosts) {
    if (await acceptsConnections(server, timeoutMs)) return server;
  }
  return hosts[0];
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
