import { expect } from 'chai';
import net from 'node:net';
import { describeEachDatabase } from '../../common/test/databases';
import { startSystem, type TestSystem } from './support/system';

/** Writes raw bytes on a fresh connection and returns everything the server sends back. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(request, 'latin1'));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

// Requests refused by Node's HTTP parser used to get a bare `400 Bad Request` with no
// body: the one kind of error that was not problem details.
describeEachDatabase('regression: requests the HTTP parser refuses', (database) => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(database);
  });
  after(() => system?.stop());

  const cases: Array<[string, string, string]> = [
    [
      'a NUL byte in a header value',
      'GET /products HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\u0000b\r\n\r\n',
      'not valid HTTP',
    ],
    ['a space in a header name', 'GET /products HTTP/1.1\r\nHost: x\r\nX Bad: 1\r\n\r\n', 'not valid HTTP'],
    [
      'both Content-Length and Transfer-Encoding',
      'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'not valid HTTP',
    ],
    [
      'headers over the limit',
      `GET /products HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`,
      'too large',
    ],
  ];
  for (const [name, request, detail] of cases) {
    it(`answers ${name} with problem details and closes the connection`, async () => {
      const answer = await raw(system.gateway.port, request);
      const [head, body] = answer.split('\r\n\r\n');
      expect(head).to.match(/^HTTP\/1\.1 400 /);
      expect(head).to.match(/\r\ncontent-type: application\/problem\+json/i);
      expect(head).to.match(/\r\nconnection: close/i);
      const problem = JSON.parse(body) as Record<string, unknown>;
      expect(problem).to.include({
        type: 'https://aletheia.gold/problems/invalid-request',
        status: 400,
        instance: '/',
      });
      expect(problem.detail).to.contain(detail);
    });
  }
});
