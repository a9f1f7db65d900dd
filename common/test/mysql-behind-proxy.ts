import type { Knex } from 'knex';
import type { DatabaseConfig } from '../src/config';
import { createDatabase } from '../src/database';
import { openSqlDatabase, type SqlDatabase } from '../src/sql/database';
import { testDatabases, type TestDatabase } from './databases';
import { FaultProxy } from '../../test/resilience/support/fault-proxy';

/** The MySQL test database when TEST_MYSQL_URL is set: connection faults are produced there. */
export function mysqlTestDatabase(): TestDatabase | undefined {
  return testDatabases()
    .map((target) => target())
    .find((database) => database.kind === 'mysql');
}

/** Runs `work` between two statements of a transaction; resolves to what the transaction failed with. */
async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/**
 * Inside a describe: a fresh MySQL database reached through a fault proxy that resets
 * connections for real, with the programs' own database access in front of it: the
 * gateway's data access (`db`, batching as the gateway does) and the Knex the
 * auth-service's repositories use (`knex`).
 */
export function useMysqlBehindFaultProxy(mysql: TestDatabase): {
  readonly db: SqlDatabase;
  readonly knex: Knex;
  /** The database as reached through the proxy. */
  readonly config: DatabaseConfig;
  readonly proxy: FaultProxy;
  /** A transaction of `db` whose connection dies between its two statements; resolves to what it failed with. */
  transactionCutMidway(): Promise<unknown>;
  /** The same with a Knex transaction. */
  knexTransactionCutMidway(): Promise<unknown>;
} {
  let proxy: FaultProxy | undefined;
  let config: DatabaseConfig | undefined;
  let db: SqlDatabase | undefined;
  let knex: Knex | undefined;
  const expectOneConnectionCut = (proxy: FaultProxy) => {
    if (proxy.cutAll() !== 1) throw new Error('expected one connection to cut');
  };
  before(async () => {
    const server = await mysql.create();
    if (server.client !== 'mysql') throw new Error('expected MySQL');
    proxy = await FaultProxy.start(server.hosts[0]);
    config = { ...server, hosts: [{ host: '127.0.0.1', port: proxy.port }] };
    db = openSqlDatabase(config, { batches: true });
    knex = createDatabase(config);
  });
  after(async () => {
    await db?.close();
    await knex?.destroy();
    await proxy?.stop();
    await mysql.drop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the database is set up in before()');
    return value;
  };
  return {
    get db() {
      return ready(db);
    },
    get knex() {
      return ready(knex);
    },
    get config() {
      return ready(config);
    },
    get proxy() {
      return ready(proxy);
    },
    transactionCutMidway() {
      return failureOf(() =>
        this.db.transaction(async (tx) => {
          await tx.query('select 1', []);
          // The connection dies while the transaction sits between two statements.
          expectOneConnectionCut(this.proxy);
          await new Promise((resolve) => setTimeout(resolve, 100));
          await tx.query('select 2', []);
        }),
      );
    },
    knexTransactionCutMidway() {
      return failureOf(() =>
        this.knex.transaction(async (trx) => {
          await trx.raw('select 1');
          expectOneConnectionCut(this.proxy);
          await new Promise((resolve) => setTimeout(resolve, 100));
          await trx.raw('select 2');
        }),
      );
    },
  };
}
