import { expect } from 'chai';
import { status, type ServiceError } from '@grpc/grpc-js';
import { describeEachDatabase } from '../../common/test/databases';
import { startTestAuthServer, type TestAuthServer } from './support/auth-server';
import { rpc } from './support/rpc';

const password = 'gold-bar-99';

/** The gRPC status a login ends with (0 for success). */
async function loginStatus(server: TestAuthServer, username: string, secret: string): Promise<number> {
  try {
    await rpc(server.client, 'Login', { username, password: secret });
    return status.OK;
  } catch (error) {
    return (error as ServiceError).code;
  }
}

// Parallel guesses used to all get a verdict before the lock was seen: an attacker got
// as many guesses as they could send at once instead of LOGIN_MAX_FAILURES.
describeEachDatabase('regression: logins racing into lockout (LOGIN_MAX_FAILURES=3)', (database) => {
  let server: TestAuthServer;

  before(async () => {
    server = await startTestAuthServer(database, { LOGIN_LOCK_SECONDS: '30' });
  });
  after(async () => {
    await server?.stop();
    await database.drop();
  });

  it('judges exactly LOGIN_MAX_FAILURES of 20 parallel wrong passwords; the rest are locked out', async () => {
    const username = `race_${process.pid % 1000}_a`;
    await rpc(server.client, 'Register', { username, password });
    const statuses = await Promise.all(Array.from({ length: 20 }, () => loginStatus(server, username, 'wrong-pass-1')));
    expect(statuses.filter((code) => code === status.UNAUTHENTICATED)).to.have.length(3);
    expect(statuses.filter((code) => code === status.RESOURCE_EXHAUSTED)).to.have.length(17);
    expect(await loginStatus(server, username, password)).to.equal(status.RESOURCE_EXHAUSTED);
  });
});
