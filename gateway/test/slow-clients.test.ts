import http from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import { describeEachDatabase } from '../../common/test/databases';
import { startSystem, type TestSystem } from './support/system';

/**
 * A client that sends `head` at once and then `trickle` one byte at a time, a byte every
 * 50 ms, for as long as the connection stays open; resolves with what the server sent
 * and how many trickled bytes it took, once the server has closed the connection.
 */
function slowClient(port: number, head: string, trickle: string): Promise<{ answer: string; trickled: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(head));
    const chunks: Buffer[] = [];
    let trickled = 0;
    const timer = setInterval(() => {
      if (socket.writable) socket.write(trickle[trickled++ % trickle.length]);
    }, 50);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer: Buffer.concat(chunks).toString('utf8'), trickled });
    });
  });
}

function expectTimeoutProblem(answer: string): void {
  const [head, body] = answer.split('\r\n\r\n');
  expect(head).to.match(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  expect(head).to.match(/\r\nconnection: close/i);
  expect(JSON.parse(body)).to.include({
    type: 'https://aletheia.gold/problems/request-timeout',
    status: 408,
    detail: 'The request was not received in time.',
  });
}

// A body sent a byte every 2 s used to hold a connection for 320 s (Node's default requestTimeout).
describeEachDatabase('slow clients are let go once the timeouts pass', (database) => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(database, { HTTP_HEADERS_TIMEOUT_MS: '400', HTTP_REQUEST_TIMEOUT_MS: '1200' });
  });
  after(() => system?.stop());

  it('answers 408 and closes a connection whose headers never end (HTTP_HEADERS_TIMEOUT_MS)', async () => {
    const { answer, trickled } = await slowClient(
      system.gateway.port,
      'POST /auth/login HTTP/1.1\r\nHost: x\r\nX-Slow: ',
      'abcdefghijklmnopqrstuvwxyz',
    );
    expectTimeoutProblem(answer);
    expect(trickled).to.be.greaterThan(0);
  });

  it('answers 408 and closes a connection whose body keeps trickling in (HTTP_REQUEST_TIMEOUT_MS)', async () => {
    const { answer, trickled } = await slowClient(
      system.gateway.port,
      'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n',
      '{"username":"slow_user","password":"gold-bar-2026"}',
    );
    expectTimeoutProblem(answer);
    // The headers were complete long before: only the whole-request bound ended it.
    expect(trickled).to.be.greaterThan(0);
  });

  it('keeps an idle keep-alive connection past the headers timeout: it starts with a request', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ status: number; socket: net.Socket }>((resolve, reject) => {
        const request = http.get({ host: '127.0.0.1', port: system.gateway.port, path: '/healthz', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: request.socket! }));
        });
        request.on('error', reject);
      });
    try {
      const first = await get();
      // A connection opened now whose headers never end is cut once the headers timeout has passed.
      const { answer } = await slowClient(system.gateway.port, 'GET /healthz HTTP/1.1\r\nX-Slow: ', 'z');
      expectTimeoutProblem(answer);
      const second = await get();
      expect([first.status, second.status]).to.deep.equal([200, 200]);
      expect(second.socket).to.equal(first.socket);
    } finally {
      agent.destroy();
    }
  });
});

describeEachDatabase('the request timeout bounds receiving a request, not answering it', (database) => {
  let system: TestSystem;
  before(async () => {
    // bcrypt cost 14 keeps a registration's handler busy far longer than the 300 ms bound.
    system = await startSystem(database, {
      HTTP_HEADERS_TIMEOUT_MS: '200',
      HTTP_REQUEST_TIMEOUT_MS: '300',
      BCRYPT_COST: '14',
      AUTH_GRPC_TIMEOUT_MS: '60000',
      AUTH_GRPC_LOGIN_TIMEOUT_MS: '60000',
    });
  });
  after(() => system?.stop());

  it('answers a request whose handler outlasts HTTP_REQUEST_TIMEOUT_MS', async function () {
    this.timeout(120_000);
    const res = await system
      .request()
      .post('/auth/register')
      .send({ username: 'slow_handler', password: 'gold-bar-2026' });
    expect(res.status, JSON.stringify(res.body)).to.equal(204);
  });
});
