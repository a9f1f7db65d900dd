import http from 'node:http';
import { expect } from 'chai';
import { testDatabases } from '../../common/test/databases';
import { startSystem, type TestSystem } from './support/system';

interface Answer {
  status: number;
  connection: string | undefined;
}

function send(url: string, agent: http.Agent, method: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      { agent, method, headers: payload ? { 'content-type': 'application/json' } : {} },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Found by the resilience campaign (scenario 6, SIGTERM under load): while the gateway
 * drained, keep-alive clients kept sending new requests on their open connections, which
 * never went idle, so the drain went on until its 10 s deadline cut the connections with
 * requests half done (an order was written, its client saw a reset). Every response sent
 * while draining must close its connection, so the next request needs a new connection,
 * which is refused.
 */
describe('regression: keep-alive connections while the gateway drains', () => {
  const database = testDatabases()[0]();
  let system: TestSystem;
  before(async () => {
    // A real bcrypt cost makes a login slow enough to be in flight while the gateway stops.
    system = await startSystem(database, { BCRYPT_COST: '12' });
  });
  after(() => system?.stop());

  it('answers the request in flight with Connection: close and serves no request after it on that connection', async () => {
    const credentials = { username: 'drain_login', password: 'gold-bar-12' };
    await system.request().post('/auth/register').send(credentials).expect(204);
    // One socket: the second request waits for it and would reuse it.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const inFlight = send(`${system.gateway.url}/auth/login`, agent, 'POST', credentials);
    const next = send(`${system.gateway.url}/products`, agent, 'GET').catch(
      (error: NodeJS.ErrnoException) => error.code,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await system.gateway.stop();
    expect(await inFlight).to.deep.equal({ status: 200, connection: 'close' });
    expect(await next).to.equal('ECONNREFUSED');
    agent.destroy();
  });
});
