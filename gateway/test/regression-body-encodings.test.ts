import net from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { describeEachDatabase } from '../../common/test/databases';
import { expectProblem } from './support/problems';
import { startSystem, type TestSystem } from './support/system';

/** Writes raw bytes on a fresh connection and returns everything the server sends back. */
function raw(port: number, request: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** POSTs bytes exactly as given (supertest would serialise a Buffer as JSON). */
async function postBytes(url: string, headers: Record<string, string>, body: Buffer) {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { type: string; errors?: unknown } };
}

const credentials = JSON.stringify({ username: 'encoded_user', password: 'gold-bar-2026' });

// A Content-Encoding on the public /auth/register and /auth/login made the JSON parser
// inflate the body; a body that did not inflate was a 500 with a zlib stack in the log.
describeEachDatabase('regression: headers that change how a body is read', (database) => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(database);
  });
  after(() => system?.stop());

  for (const route of ['/auth/register', '/auth/login']) {
    for (const coding of ['gzip', 'x-gzip', 'deflate', 'br', 'compress', 'zstd', 'GZIP', 'gzip, identity', 'bogus']) {
      it(`${route} with Content-Encoding: ${coding} on a plain body is 415 naming identity, not 500`, async () => {
        const res = await system
          .request()
          .post(route)
          .set('Content-Type', 'application/json')
          .set('Content-Encoding', coding)
          .send(credentials);
        expectProblem(res, 415, 'unsupported-media-type');
        expect(res.headers['accept-encoding']).to.equal('identity');
      });
    }

    it(`${route} with a really compressed body is 415 too: bodies are never inflated`, async () => {
      for (const [coding, bytes] of [
        ['gzip', gzipSync(credentials)],
        ['deflate', deflateSync(credentials)],
        ['br', brotliCompressSync(credentials)],
      ] as const) {
        const res = await postBytes(
          `${system.gateway.url}${route}`,
          { 'Content-Type': 'application/json', 'Content-Encoding': coding },
          bytes,
        );
        expect(res.status).to.equal(415);
        expect(res.body.type).to.equal('https://aletheia.gold/problems/unsupported-media-type');
      }
    });

    it(`${route} refuses a second charset, a second Content-Type and a non-UTF-8 charset (415)`, async () => {
      for (const type of [
        'application/json; charset=utf-8; charset=latin1',
        'application/json; charset=latin1; charset=utf-8',
        'application/json; charset=utf8',
        'application/json; charset=utf-16le',
        'application/json; charset="iso-8859-1"',
      ]) {
        const res = await system.request().post(route).set('Content-Type', type).send(credentials);
        expectProblem(res, 415, 'unsupported-media-type');
      }
      const twice = Buffer.from(
        `POST ${route} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n` +
          `Content-Type: text/plain\r\nContent-Length: ${credentials.length}\r\n\r\n${credentials}`,
      );
      expect(await raw(system.gateway.port, twice)).to.match(/^HTTP\/1\.1 415 /);
    });

    it(`${route} refuses bytes that are not UTF-8 (400), instead of reading them as U+FFFD`, async () => {
      for (const bytes of [[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80]]) {
        const body = Buffer.concat([
          Buffer.from('{"username":"utf8_'),
          Buffer.from(bytes),
          Buffer.from('","password":"gold-bar-2026"}'),
        ]);
        const res = await postBytes(`${system.gateway.url}${route}`, { 'Content-Type': 'application/json' }, body);
        expect(res.status).to.equal(400);
        expect(res.body.errors).to.deep.equal([{ path: '/body', message: 'must be UTF-8 text' }]);
      }
    });

    it(`${route} answers unusual framing with a 4xx problem and never 5xx`, async () => {
      const framings = [
        `Transfer-Encoding: gzip, chunked\r\n`,
        `Transfer-Encoding: chunked, gzip\r\n`,
        `Transfer-Encoding: identity\r\n`,
        `Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n`,
        `Transfer-Encoding: CHUNKED\r\n`,
        `Transfer-Encoding: chunked\r\nContent-Length: 4\r\n`,
        `Content-Length: ${credentials.length}\r\nContent-Length: 1\r\n`,
      ];
      for (const framing of framings) {
        const chunked = /chunked/i.test(framing)
          ? `${credentials.length.toString(16)}\r\n${credentials}\r\n0\r\n\r\n`
          : credentials;
        const answer = await raw(
          system.gateway.port,
          Buffer.from(
            `POST ${route} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n${framing}\r\n${chunked}`,
          ),
        );
        const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1]);
        expect(status, `${framing}: ${answer.slice(0, 200)}`).to.be.within(200, 499);
        expect(answer, framing).to.not.match(/\bat .+:\d+:\d+/);
      }
    });
  }

  it('still reads an identity-coded UTF-8 body', async () => {
    const res = await system
      .request()
      .post('/auth/register')
      .set('Content-Type', 'application/json; charset="UTF-8"')
      .set('Content-Encoding', 'identity')
      .send(JSON.stringify({ username: 'identity_user', password: 'gold-bar-2026' }));
    expect(res.status, JSON.stringify(res.body)).to.equal(204);
  });
});
