import { expect } from 'chai';
import type { Knex } from 'knex';
import { createDatabase } from '../../common/src/database';
import { testDatabases } from '../../common/test/databases';
import { FaultProxy } from '../../test/resilience/support/fault-proxy';
import { toProblem } from '../src/http/error-handler';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Found by the resilience campaign (scenario 2, creates while MariaDB was cut): when the
 * connection died in the middle of a transaction, knex's ROLLBACK on the dead connection
 * failed too and its error replaced the original one. That error has no driver code
 * ("ROLLBACK - Can't add new command when connection is in closed state"; mysql2 marks it
 * `fatal`), so the gateway took it for a bug and answered 500 instead of 503.
 */
const mysql = testDatabases()
  .map((target) => target())
  .find((database) => database.kind === 'mysql');

(mysql ? describe : describe.skip)('regression: MySQL connection reset in the middle of a transaction [mysql]', () => {
  let proxy: FaultProxy;
  let db: Knex;

  before(async () => {
    const server = await mysql!.create();
    if (server.client !== 'mysql') throw new Error('expected MySQL');
    // The gateway's own database factory, reaching the server through a proxy that resets connections for real.
    proxy = await FaultProxy.start({ host: server.host, port: server.port });
    db = createDatabase({ ...server, host: '127.0.0.1', port: proxy.port });
  });
  after(async () => {
    await db?.destroy();
    await proxy?.stop();
    await mysql!.drop();
  });

  it('is answered as 503 database-unavailable with Retry-After, not 500', async () => {
    let failure: unknown;
    try {
      await db.transaction(async (trx) => {
        await trx.raw('select 1');
        // The connection dies while the transaction sits between two statements.
        expect(proxy.cutAll()).to.equal(1);
        await pause(100);
        await trx.raw('select 2');
      });
    } catch (error) {
      failure = error;
    }
    expect(failure, 'the transaction failed').to.be.instanceOf(Error);
    const problem = toProblem(failure);
    expect({ status: problem.status, code: problem.code }).to.deep.equal({
      status: 503,
      code: 'database-unavailable',
    });
    expect(problem.options.retryAfterSeconds).to.be.greaterThan(0);
    // The pool recovers by itself once the network does.
    expect(await db.raw('select 1')).to.be.an('array');
  });
});
