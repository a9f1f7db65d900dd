import type { Knex } from 'knex';
import { createDatabase } from '../src/database';
import { testDatabases, type TestDatabase } from './databases';
import { FaultProxy } from '../../test/resilience/support/fault-proxy';

/** The MySQL test database when TEST_MYSQL_URL is set: connection faults are produced there. */
export function mysqlTestDatabase(): TestDatabase | undefined {
  return testDatabases()
    .map((target) => target())
    .find((database) => database.kind === 'mysql');
}

/**
 * Inside a describe: a fresh MySQL database reached through a fault proxy that resets
 * connections for real, with the gateway's own database factory in front of it.
 */
export function useMysqlBehindFaultProxy(
  mysql: TestDatabase,
  options: { multipleStatements?: boolean } = {},
): {
  readonly db: Knex;
  readonly proxy: FaultProxy;
  /** Runs a Knex transaction whose connection dies between its two statements; resolves to what it failed with. */
  transactionCutMidway(): Promise<unknown>;
} {
  let proxy: FaultProxy | undefined;
  let db: Knex | undefined;
  before(async () => {
    const server = await mysql.create();
    if (server.client !== 'mysql') throw new Error('expected MySQL');
    proxy = await FaultProxy.start({ host: server.host, port: server.port });
    db = createDatabase({ ...server, host: '127.0.0.1', port: proxy.port }, options);
  });
  after(async () => {
    await db?.destroy();
    await proxy?.stop();
    await mysql.drop();
  });
  return {
    get db() {
      if (!db) throw new Error('the database is set up in before()');
      return db;
    },
    get proxy() {
      if (!proxy) throw new Error('the proxy is set up in before()');
      return proxy;
    },
    async transactionCutMidway() {
      try {
        await this.db.transaction(async (trx) => {
          await trx.raw('select 1');
          // The connection dies while the transaction sits between two statements.
          if (this.proxy.cutAll() !== 1) throw new Error('expected one connection to cut');
          await new Promise((resolve) => setTimeout(resolve, 100));
          await trx.raw('select 2');
        });
      } catch (error) {
        return error;
      }
      return undefined;
    },
  };
}
