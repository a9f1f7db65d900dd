import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import knex from 'knex';
import { parse } from 'yaml';
import { repoRoot } from '../../common/src/repo-root';
import { IndependentValidator } from '../../gateway/test/support/independent-validator';
import { FaultProxy } from './support/fault-proxy';
import { HttpClient, TransportError, parseRawResponse, rawRequest } from './support/http';
import { generateHostileCases } from './support/hostile/cases';
import { loadSpecOperations } from './support/hostile/spec';
import { countResults, percentile, startLoad } from './support/load';
import { mysqlServer } from './support/mysql';
import { report } from './support/report';
import { forgedTokens, signJwt } from './support/tokens';

/** A loopback echo server: what the proxy forwards comes straight back. */
async function echoServer(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function portOf(server: net.Server | http.Server): number {
  return (server.address() as net.AddressInfo).port;
}

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('connect', () => socket.write(text));
    socket.on('data', (data) => {
      resolve(data.toString());
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

describe('campaign harness self-check', () => {
  describe('fault proxy', () => {
    let echo: net.Server;
    let proxy: FaultProxy;

    before(async () => {
      echo = await echoServer();
      proxy = await FaultProxy.start({ host: '127.0.0.1', port: portOf(echo) });
    });
    after(async () => {
      await proxy.stop();
      echo.close();
    });

    it('forwards, adds latency, refuses, resets and heals', async () => {
      expect(await roundTrip(proxy.port, 'ping')).to.equal('ping');

      proxy.setLatency(150);
      const started = performance.now();
      expect(await roundTrip(proxy.port, 'slow')).to.equal('slow');
      expect(performance.now() - started).to.be.greaterThan(280); // both directions

      await proxy.setMode('refuse');
      const refused = await roundTrip(proxy.port, 'x').catch((error: NodeJS.ErrnoException) => error.code);
      expect(refused).to.equal('ECONNREFUSED');

      await proxy.setMode('reset');
      const reset = await roundTrip(proxy.port, 'x').catch((error: NodeJS.ErrnoException) => error.code);
      expect(reset).to.equal('ECONNRESET');

      await proxy.heal();
      expect(await roundTrip(proxy.port, 'back')).to.equal('back');
    });

    it('cuts open connections', async () => {
      const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
      await new Promise((resolve) => socket.on('connect', resolve));
      const closed = new Promise<string>((resolve) =>
        socket.on('error', (error: NodeJS.ErrnoException) => resolve(String(error.code))),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(proxy.cutAll()).to.equal(1);
      expect(await closed).to.equal('ECONNRESET');
    });

    it('stands between a client and MariaDB', async () => {
      const server = mysqlServer();
      const mariadb = await FaultProxy.start(server);
      const db = knex({
        client: 'mysql2',
        connection: { ...server, port: mariadb.port, connectTimeout: 2000 },
        pool: { min: 0, max: 1 },
        acquireConnectionTimeout: 3000,
      });
      try {
        await db.raw('select 1');
        mariadb.cutAll();
        await mariadb.setMode('refuse');
        let failed = false;
        for (let i = 0; i < 3 && !failed; i++)
          failed = await db.raw('select 1').then(
            () => false,
            () => true,
          );
        expect(failed).to.equal(true);
        await mariadb.heal();
        let recovered = false;
        for (let i = 0; i < 5 && !recovered; i++)
          recovered = await db.raw('select 1').then(
            () => true,
            () => false,
          );
        expect(recovered).to.equal(true);
      } finally {
        await db.destroy();
        await mariadb.stop();
      }
    });
  });

  describe('HTTP client and load generator', () => {
    let server: http.Server;
    let client: HttpClient;

    before(async () => {
      server = http.createServer((req, res) => {
        const delay = req.url === '/slow' ? 500 : 0;
        setTimeout(() => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ path: req.url }));
        }, delay);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      client = new HttpClient(portOf(server));
    });
    after(() => {
      client.close();
      server.close();
    });

    it('answers, times out and reads raw responses', async () => {
      const ok = await client.request({ method: 'GET', path: '/a' });
      expect(ok.json).to.deep.equal({ path: '/a' });
      const late = await client
        .request({ method: 'GET', path: '/slow', timeoutMs: 100 })
        .catch((error: TransportError) => error);
      expect(late).to.be.instanceOf(TransportError).with.property('kind', 'timeout');
      const raw = await rawRequest(
        portOf(server),
        Buffer.from('GET /raw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
      expect(raw.json).to.deep.equal({ path: '/raw' });
      const chunked = parseRawResponse(
        Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'),
      );
      expect(chunked.text).to.equal('abcde');
    });

    it('stays within its bounds', async () => {
      expect(() =>
        startLoad({
          concurrency: 500,
          maxOperations: 10,
          maxDurationMs: 10,
          operation: () => ({ label: 'x', run: () => client.request({ method: 'GET', path: '/' }) }),
        }),
      ).to.throw(/concurrency/);
      const run = startLoad({
        concurrency: 4,
        maxOperations: 40,
        maxDurationMs: 5000,
        ratePerSecond: 200,
        operation: (i) => ({ label: 'get', run: () => client.request({ method: 'GET', path: `/${i}` }) }),
      });
      const outcomes = await run.done;
      expect(outcomes).to.have.length(40);
      expect(countResults(outcomes)).to.deep.equal({ 200: 40 });
      expect(outcomes[outcomes.length - 1].startedMs).to.be.greaterThan(150); // paced at 200/s
      expect(percentile([1, 2, 3, 4], 50)).to.equal(2);
    });
  });

  it('generates at least 10,000 hostile requests across every operation of openapi.yaml', () => {
    const operations = loadSpecOperations();
    const secret = 'x'.repeat(32);
    const access = signJwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'u', typ: 'access', exp: 2e9 }, secret);
    const refresh = signJwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'u', typ: 'refresh', exp: 2e9 }, secret);
    const spec = parse(readFileSync(path.join(repoRoot, 'openapi.yaml'), 'utf8')) as Record<string, unknown>;
    const cases = generateHostileCases(operations, spec, {
      userAccess: access,
      logoutAccess: access,
      refreshForAttacks: refresh,
      passwordChangeAccess: access,
      passwordChangeUsername: 'pw_user',
      logoutAllAccess: access,
      otherUsername: 'other_user',
      forged: forgedTokens(access, refresh, { jwtSecret: secret, jwtRefreshSecret: secret }),
      ownOrderId: '01900000-0000-7000-8000-000000000001',
      mutableOrderId: '01900000-0000-7000-8000-000000000002',
      seed: 42,
      perField: 250,
      validator: new IndependentValidator(spec),
    });
    const perOperation = countResults(
      cases.map((c) => ({ label: '', result: c.operationId as never, startedMs: 0, durationMs: 0 })),
    );
    report
      .section('Harness')
      .figure('Hostile cases generated (seed 42)', cases.length)
      .figure('Operations in openapi.yaml', operations.length);
    expect(cases.length).to.be.at.least(10_000);
    expect(Object.keys(perOperation).sort()).to.deep.equal(operations.map((o) => o.operationId).sort());
    const classes = ['token', 'query', 'path', 'header', 'body-field', 'body-structure', 'method', 'raw'];
    classes.push('body-encoding', 'number-spelling', 'unicode', 'repeated-parameter');
    for (const category of classes) {
      expect(
        cases.some((c) => c.category === category),
        category,
      ).to.equal(true);
    }
  });
});
