import { expect } from 'chai';
import http from 'node:http';
import { testDatabases } from '../../common/test/databases';
import { startSystem, type TestSystem } from './support/system';

/** Sends a login and hangs up after `afterMs`, before the answer (a client that timed out). */
function abandonedLogin(port: number, body: string, afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const request = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/auth/login',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    request.on('error', () => resolve());
    request.on('response', () => resolve());
    request.end(body);
    setTimeout(() => {
      request.destroy();
      resolve();
    }, afterMs);
  });
}

/**
 * Logins are bound by bcrypt, one at a time by default: a login whose client hung up must
 * leave the auth service's queue instead of costing a hash nobody waits for. (Behaviour
 * independent of the database: SQLite only.)
 */
describe('gateway: logins abandoned by their client', () => {
  const database = testDatabases()[0]();
  let system: TestSystem;
  // bcrypt at its production cost, so logins are slow enough to hang up on.
  before(async () => {
    system = await startSystem(database, { BCRYPT_COST: '12' });
  });
  after(() => system?.stop());

  const cancelledLogins = async () => {
    const metrics = (await system.request().get('/metrics')).text;
    const line = /^grpc_client_call_duration_seconds_count\{method="Login",code="CANCELLED"\} (\d+)/m.exec(metrics);
    return Number(line?.[1] ?? 0);
  };

  it('cancels the call to the auth service, and the next login is answered', async () => {
    const credentials = { username: 'hangs_up_1', password: 'gold-bar-12' };
    await system.request().post('/auth/register').send(credentials).expect(204);
    const before = await cancelledLogins();
    const body = JSON.stringify(credentials);
    await Promise.all([1, 2, 3].map(() => abandonedLogin(system.gateway.port, body, 50)));
    const started = Date.now();
    while ((await cancelledLogins()) < before + 3 && Date.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await cancelledLogins()).to.equal(before + 3);
    const login = await system.request().post('/auth/login').send(credentials);
    expect(login.status).to.equal(200);
  });
});
