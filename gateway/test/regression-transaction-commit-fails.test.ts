import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { expect } from 'chai';
import { sqlChannelName } from '../../common/src/sql/database';
import { mysqlTestDatabase, useMysqlBehindFaultProxy } from '../../common/test/mysql-behind-proxy';
import { toProblem } from '../src/http/error-handler';

/**
 * Found by the resilience campaign (scenario 2, creates while MariaDB was reset): knex's
 * `trx.commit()` resolves even when the COMMIT fails (its failure only rejects the
 * transaction's own promise), so a create whose COMMIT never reached the server was
 * answered 201 and the acknowledged order did not exist.
 */
const mysql = mysqlTestDatabase();

(mysql ? describe : describe.skip)('regression: MySQL connection reset under a transaction’s COMMIT [mysql]', () => {
  const fixture = useMysqlBehindFaultProxy(mysql!);

  before(async () => {
    await fixture.knex.raw('create table acknowledged (id int primary key)');
  });

  it('fails with the connection error (503 database-unavailable) instead of reporting success', async () => {
    // The proxy holds the COMMIT back long enough to reset the connection before the server sees it.
    fixture.proxy.setLatency(300);
    const cutAtCommit = (message: unknown) => {
      const sql = typeof message === 'object' && message !== null && 'sql' in message ? String(message.sql) : '';
      if (sql.startsWith('COMMIT')) setTimeout(() => fixture.proxy.cutAll(), 50);
    };
    subscribe(sqlChannelName, cutAtCommit);
    let outcome: unknown;
    try {
      outcome = await fixture.db.transaction(async (tx) => {
        await tx.execute('insert into acknowledged (id) values (1)', []);
        return 'committed';
      });
    } catch (error) {
      outcome = error;
    } finally {
      unsubscribe(sqlChannelName, cutAtCommit);
      fixture.proxy.setLatency(0);
    }
    expect(outcome, 'the COMMIT failed, so the transaction must too').to.be.instanceOf(Error);
    expect(`${(outcome as { code?: string }).code} ${(outcome as Error).message}`).to.match(/^ECONNRESET /);
    const problem = toProblem(outcome);
    expect({ status: problem.status, code: problem.code }).to.deep.equal({
      status: 503,
      code: 'database-unavailable',
    });
    const [rows] = (await fixture.knex.raw('select count(*) as n from acknowledged')) as [Array<{ n: number }>];
    expect(Number(rows[0].n), 'the COMMIT never reached the server').to.equal(0);
  });
});
