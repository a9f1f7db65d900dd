import { expect } from 'chai';
import { mysqlTestDatabase, useMysqlBehindFaultProxy } from '../../common/test/mysql-behind-proxy';
import { toProblem } from '../src/http/error-handler';

/**
 * Found by the resilience campaign (scenario 2, creates while MariaDB was cut): when the
 * connection died in the middle of a transaction, the ROLLBACK on the dead connection
 * failed too and its error replaced the original one. That error has no driver code
 * ("ROLLBACK - Can't add new command when connection is in closed state"; mysql2 marks it
 * `fatal`), so the gateway took it for a bug and answered 500 instead of 503.
 */
const mysql = mysqlTestDatabase();

(mysql ? describe : describe.skip)('regression: MySQL connection reset in the middle of a transaction [mysql]', () => {
  const fixture = useMysqlBehindFaultProxy(mysql!);

  it('is answered as 503 database-unavailable with Retry-After, not 500', async () => {
    const failure = await fixture.transactionCutMidway();
    expect(failure, 'the transaction failed').to.be.instanceOf(Error);
    const problem = toProblem(failure);
    expect({ status: problem.status, code: problem.code }).to.deep.equal({
      status: 503,
      code: 'database-unavailable',
    });
    expect(problem.options.retryAfterSeconds).to.be.greaterThan(0);
    // The pool recovers by itself once the network does.
    expect(await fixture.db.query('select 1', [])).to.have.length(1);
  });
});
