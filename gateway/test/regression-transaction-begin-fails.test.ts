import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { expect } from 'chai';
import { sqlChannelName } from '../../common/src/sql/database';
import { mysqlTestDatabase, useMysqlBehindFaultProxy } from '../../common/test/mysql-behind-proxy';
import { toProblem } from '../src/http/error-handler';

/**
 * Found by the resilience campaign (scenario 2, creates while MariaDB was reset): when
 * the connection died under a transaction's BEGIN, knex still handed the transaction out
 * (already completed), the first statement failed with "Transaction query already
 * complete" (no driver code) and the create was answered 500 instead of 503.
 */
const mysql = mysqlTestDatabase();

function sqlOf(message: unknown): string {
  return typeof message === 'object' && message !== null && 'sql' in message ? String(message.sql) : '';
}

(mysql ? describe : describe.skip)('regression: MySQL connection reset under a transaction’s BEGIN [mysql]', () => {
  const fixture = useMysqlBehindFaultProxy(mysql!);

  it('fails with the connection error (503 database-unavailable) and never sends the work', async () => {
    await fixture.db.query('select 1', []); // a pooled connection, so the transaction needs no handshake
    // Slow enough that BEGIN is surely still waiting for its answer when the connection is reset.
    fixture.proxy.setLatency(300);
    const announced: string[] = [];
    const cutAtBegin = (message: unknown) => {
      const sql = sqlOf(message);
      announced.push(sql);
      if (sql.startsWith('BEGIN')) setTimeout(() => fixture.proxy.cutAll(), 50);
    };
    subscribe(sqlChannelName, cutAtBegin);
    let failure: unknown;
    try {
      await fixture.db.transaction((tx) => tx.query('select 1', []));
    } catch (error) {
      failure = error;
    } finally {
      unsubscribe(sqlChannelName, cutAtBegin);
      fixture.proxy.setLatency(0);
    }
    expect(failure, 'the transaction failed').to.be.instanceOf(Error);
    expect(`${(failure as { code?: string }).code} ${(failure as Error).message}`).to.match(/^ECONNRESET /);
    expect(announced, 'the work was sent on a transaction that never began').to.deep.equal(['BEGIN', 'ROLLBACK']);
    const problem = toProblem(failure);
    expect({ status: problem.status, code: problem.code }).to.deep.equal({
      status: 503,
      code: 'database-unavailable',
    });
    const [row] = await fixture.db.transaction((tx) => tx.query('select 2 as n', []));
    expect(Number(row.n)).to.equal(2);
  });
});
