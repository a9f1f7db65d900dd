import { expect } from 'chai';
import type { Knex } from 'knex';
import { createDatabase } from '../../common/src/database';
import { executePrepared } from '../../common/src/prepared-query';
import { testDatabases } from '../../common/test/databases';
import { FaultProxy } from '../../test/resilience/support/fault-proxy';
import { toProblem } from '../src/http/error-handler';
import { inTransaction } from '../src/orders/sql';

/**
 * Found by the resilience campaign (scenario 2, creates while MariaDB was reset): knex's
 * `trx.commit()` resolves even when the COMMIT fails (its failure only rejects the
 * transaction's own promise), so a create whose COMMIT never reached the server was
 * answered 201 and the acknowledged order did not exist.
 */
const mysql = testDatabases()
  .map((target) => target())
  .find((database) => database.kind === 'mysql');

(mysql ? describe : describe.skip)('regression: MySQL connection reset under a transaction’s COMMIT [mysql]', () => {
  let proxy: FaultProxy;
  let db: Knex;

  before(async () => {
    const server = await mysql!.create();
    if (server.client !== 'mysql') throw new Error('expected MySQL');
    proxy = await FaultProxy.start({ host: server.host, port: server.port });
    db = createDatabase({ ...server, host: '127.0.0.1', port: proxy.port });
    await db.raw('create table acknowledged (id int primary key)');
  });
  after(async () => {
    await db?.destroy();
    await proxy?.stop();
    await mysql!.drop();
  });

  it('fails with the connection error (503 database-unavailable) instead of reporting success', async () => {
    // The proxy holds the COMMIT back long enough to reset the connection before the server sees it.
    proxy.setLatency(300);
    const cutAtCommit = (query: { sql: string }) => {
      if (query.sql.startsWith('COMMIT')) setTimeout(() => proxy.cutAll(), 50);
    };
    db.on('query', cutAtCommit);
    let outcome: unknown;
    try {
      outcome = await inTransaction(db, async (trx) => {
        await executePrepared(trx, 'insert into acknowledged (id) values (1)', []);
        return 'committed';
      });
    } catch (error) {
      outcome = error;
    } finally {
      db.off('query', cutAtCommit);
      proxy.setLatency(0);
    }
    expect(outcome, 'the COMMIT failed, so the transaction must too').to.be.instanceOf(Error);
    expect(`${(outcome as { code?: string }).code} ${(outcome as Error).message}`).to.match(/^ECONNRESET /);
    const problem = toProblem(outcome);
    expect({ status: problem.status, code: problem.code }).to.deep.equal({
      status: 503,
      code: 'database-unavailable',
    });
    const [rows] = (await db.raw('select count(*) as n from acknowledged')) as [Array<{ n: number }>];
    expect(Number(rows[0].n), 'the COMMIT never reached the server').to.equal(0);
  });
});
