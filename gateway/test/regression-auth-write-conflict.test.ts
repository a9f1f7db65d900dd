import { expect } from 'chai';
import { mysqlTestDatabase } from '../../common/test/mysql-behind-proxy';
import { conflictOnSessionInsert } from '../../auth-service/test/support/write-conflicts';
import { expectProblem } from './support/problems';
import { startSystem, type TestSystem } from './support/system';

/**
 * A login whose session the auth database kept aborting as a write conflict (a deadlock,
 * or a certification failure on a multi-primary cluster) past its retries: the client
 * hears 503 with Retry-After: 1 (try again at once), never 500, and no session exists.
 */
const mysql = mysqlTestDatabase();

(mysql ? describe : describe.skip)('regression: an auth write conflict past its retries [mysql]', () => {
  let system: TestSystem;

  before(async () => {
    system = await startSystem(mysql!);
  });
  after(() => system?.stop());

  it('answers 503 auth-service-unavailable with Retry-After: 1', async () => {
    const account = await system.registerAndLogin();
    const conflicts = await conflictOnSessionInsert(system.auth.db, 100);
    try {
      const login = await system
        .request()
        .post('/auth/login')
        .send({ username: account.username, password: account.password });
      expectProblem(login, 503, 'auth-service-unavailable');
      expect(login.headers['retry-after']).to.equal('1');
    } finally {
      await conflicts.remove();
    }
    const again = await system
      .request()
      .post('/auth/login')
      .send({ username: account.username, password: account.password });
    expect(again.status).to.equal(200);
  });
});
