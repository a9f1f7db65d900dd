import { expect } from 'chai';
import { status } from '@grpc/grpc-js';
import { mysqlTestDatabase, useMysqlBehindFaultProxy } from '../../common/test/mysql-behind-proxy';
import { errorStatus } from '../src/grpc/error-status';

/**
 * A connection reset in the middle of a transaction is a database outage, not a bug:
 * callers must hear UNAVAILABLE. The auth-service and the gateway share one classifier
 * (common/src/database-errors.ts) for such errors.
 */
const mysql = mysqlTestDatabase();

(mysql ? describe : describe.skip)('auth-service errors for a connection reset mid-transaction [mysql]', () => {
  const fixture = useMysqlBehindFaultProxy(mysql!);

  it('is UNAVAILABLE (the gateway answers 503), not INTERNAL', async () => {
    const failure = await fixture.knexTransactionCutMidway();
    expect(failure, 'the transaction failed').to.be.instanceOf(Error);
    expect(errorStatus(failure).code).to.equal(status.UNAVAILABLE);
  });
});
