import { expect } from 'chai';
import type { Knex } from 'knex';
import { createDatabase } from '../../common/src/database';
import { selectPrepared } from '../../common/src/prepared-query';
import { testDatabases } from '../../common/test/databases';
import { FaultProxy } from '../../test/resilience/support/fault-proxy';
import { toProblem } from '../src/http/error-handler';
import { inTransaction } from '../src/orders/sql';

/**
 * Found by the resilience campaign (scenario 2, creates while MariaDB was reset): when
 * the connection died under a transaction's BEGIN, knex still handed the transaction out
 * (already completed), the first statement failed with "Transaction query already
 * complete" (no driver code) and the create was answered 500 instead of 503.
 */
const mysql = testDatabases()
  .map((target) => target())
  .find((database) => database.kind === 'mysql');

(mysql ? describe : describe.skip)('regression: MySQL connection reset under a transaction’s BEGIN [mysql]', () => {
  let proxy: FaultProxy;
  let db: Knex;

  before(async () => {
    const server = await mysql!.create();
    if (server.client !== 'mysql') throw new Error('expected MySQL');
    proxy = await FaultProxy.start({ host: server.host, port: server.port });
    db = createDatabase({ ...server, host: '127.0.0.1', port: proxy.port });
  });
  after(async () => {
    await db?.destroy();
    await proxy?.stop();
    await mysql!.drop();
  });

  it('fails with the connection error (503 database-unavailable) and never runs the work', async () => {
    await db.raw('select 1'); // a pooled connection, so the transaction needs no handshake
    // Slow enough that BEGIN is surely still waiting for its answer when the connection is reset.
    proxy.setLatency(300);
    const cutAtBegin = (query: { sql: string }) => {
      if (query.sql.startsWith('BEGIN')) setTimeout(() => proxy.cutAll(), 50);
    };
    db.on('query', cutAtBegin);
    let ran = false;
    let failure: unknown;
    try {
      await inTransaction(db, async (trx) => {
        ran = true;
        return selectPrepared(trx, 'select 1', []);
      });
    } catch (error) {
      failure = error;
    } finally {
      db.off('query', cutAtBegin);
      proxy.setLatency(0);
    }
    expect(failure, 'the transaction failed').to.be.instanceOf(Error);
    expect(`${(failure as { code?: string }).code} ${(failure as Error).message}`).to.match(/^ECONNRESET /);
    expect(ran, 'the work ran on a transaction that never began').to.equal(false);
    const problem = toProblem(failure);
    expect({ status: problem.status, code: problem.code }).to.deep.equal({
      status: 503,
      code: 'database-unavailable',
    });
    const [row] = await inTransaction(db, (trx) => selectPrepared<{ n: number }>(trx, 'select 2 as n', []));
    expect(Number(row.n)).to.equal(2);
  });
});
