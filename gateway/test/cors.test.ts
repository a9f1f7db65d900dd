import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { describeEachDatabase, testDatabases } from '../../common/test/databases';
import { launchChromiumOrSkip } from './support/chromium';
import { orderBody } from './support/orders-fixtures';
import { expectProblem } from './support/problems';
import { startSystem, type TestAccount, type TestSystem } from './support/system';

const appOrigin = 'https://app.example.com';

describeEachDatabase('CORS for browser apps', (database) => {
  let system: TestSystem;
  let user: TestAccount;
  before(async () => {
    system = await startSystem(database, { CORS_ORIGINS: `${appOrigin}, http://localhost:5173` });
    user = await system.registerAndLogin();
  });
  after(() => system?.stop());

  it('answers a preflight from an allowed origin 204 with methods, request headers and a max age', async () => {
    const res = await system
      .request()
      .options('/orders/purchase')
      .set('Origin', appOrigin)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization, content-type, idempotency-key, x-request-id');
    expect(res.status).to.equal(204);
    expect(res.headers['access-control-allow-origin']).to.equal(appOrigin);
    expect(res.headers['access-control-allow-methods']).to.equal('GET,POST,PUT,PATCH,DELETE');
    expect(res.headers['access-control-allow-headers']).to.equal(
      'Authorization,Content-Type,Idempotency-Key,X-Request-Id',
    );
    expect(res.headers['access-control-max-age']).to.equal('600');
    expect(res.headers).to.not.have.property('access-control-allow-credentials');
    expect(res.headers.vary).to.match(/\bOrigin\b/);
  });

  it('names the allowed origin and exposes Location, Retry-After and X-Request-Id on answers, errors included', async () => {
    const created = await system
      .request()
      .post('/orders/purchase')
      .set('Origin', 'http://localhost:5173')
      .set('Authorization', `Bearer ${user.accessToken}`)
      .send(orderBody());
    expect(created.status).to.equal(201);
    expect(created.headers['access-control-allow-origin']).to.equal('http://localhost:5173');
    expect(created.headers['access-control-expose-headers']).to.equal('Location,Retry-After,X-Request-Id');
    const refused = await system.request().get('/orders').set('Origin', appOrigin);
    expectProblem(refused, 401, 'unauthenticated');
    expect(refused.headers['access-control-allow-origin']).to.equal(appOrigin);
  });

  it('gives any other origin no CORS header at all, preflight or not', async () => {
    for (const origin of [
      'https://evil.example',
      'https://app.example.com.evil.example',
      'http://app.example.com',
      'null',
    ]) {
      const preflight = await system
        .request()
        .options('/orders')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'GET');
      expect(
        Object.keys(preflight.headers).filter((name) => name.startsWith('access-control-')),
        origin,
      ).to.deep.equal([]);
      expect(preflight.status, origin).to.equal(405);
      const read = await system.request().get('/products').set('Origin', origin);
      expect(read.status).to.equal(200);
      expect(
        Object.keys(read.headers).filter((name) => name.startsWith('access-control-')),
        origin,
      ).to.deep.equal([]);
      expect(read.headers.vary).to.match(/\bOrigin\b/);
    }
  });
});

describe('CORS in a real browser', function () {
  let pages: http.Server;
  let pagePort: number;
  let system: TestSystem;
  let browser: Browser;
  before(async function () {
    browser = await launchChromiumOrSkip(this);
    // One page server, two origins: http://127.0.0.1:<port> is allowed, http://localhost:<port> is not.
    pages = http.createServer((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>app</title>'),
    );
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pagePort = (pages.address() as AddressInfo).port;
    system = await startSystem(testDatabases()[0](), { CORS_ORIGINS: `http://127.0.0.1:${pagePort}` });
  });
  after(async () => {
    await browser?.close();
    await system?.stop();
    await new Promise((resolve) => (pages ? pages.close(resolve) : resolve(undefined)));
  });

  /** Runs the app's calls with fetch in a page of `origin`; what the page could read, or the error it got. */
  async function callFrom(origin: string) {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      return await page.evaluate(
        async ({ api, order }) => {
          const json = { 'Content-Type': 'application/json' };
          const attempt = async <T>(call: () => Promise<T>) => {
            try {
              return { ok: true as const, value: await call() };
            } catch (error) {
              return { ok: false as const, error: String(error) };
            }
          };
          const username = `cors_${Math.random().toString(36).slice(2, 10)}`;
          const credentials = JSON.stringify({ username, password: 'gold-cors-2026' });
          const products = await attempt(async () => (await fetch(`${api}/products`)).status);
          const register = await attempt(
            async () =>
              (await fetch(`${api}/auth/register`, { method: 'POST', headers: json, body: credentials })).status,
          );
          const login = await attempt(
            async () =>
              (await (
                await fetch(`${api}/auth/login`, { method: 'POST', headers: json, body: credentials })
              ).json()) as { accessToken: string },
          );
          const create = await attempt(async () => {
            const res = await fetch(`${api}/orders/purchase`, {
              method: 'POST',
              headers: {
                ...json,
                Authorization: `Bearer ${login.ok ? login.value.accessToken : 'none'}`,
                'Idempotency-Key': username,
                'X-Request-Id': `req-${username}`,
              },
              body: JSON.stringify(order),
            });
            const body = (await res.json()) as { id: string };
            return {
              status: res.status,
              id: body.id,
              location: res.headers.get('Location'),
              requestId: res.headers.get('X-Request-Id'),
            };
          });
          return { products, register, create, username };
        },
        { api: system.gateway.url, order: orderBody() },
      );
    } finally {
      await page.close();
    }
  }

  it('lets a page of an allowed origin call the API, preflighted requests and exposed headers included', async () => {
    const result = await callFrom(`http://127.0.0.1:${pagePort}`);
    expect(result.products).to.deep.equal({ ok: true, value: 200 });
    expect(result.register).to.deep.equal({ ok: true, value: 204 });
    expect(result.create.ok, JSON.stringify(result.create)).to.equal(true);
    if (!result.create.ok) return;
    expect(result.create.value.status).to.equal(201);
    expect(result.create.value.location).to.equal(`/orders/${result.create.value.id}`);
    expect(result.create.value.requestId).to.equal(`req-${result.username}`);
  });

  it('leaves a page of another origin blocked by the browser', async () => {
    const result = await callFrom(`http://localhost:${pagePort}`);
    for (const call of [result.products, result.register, result.create]) {
      expect(call.ok, JSON.stringify(call)).to.equal(false);
      if (!call.ok) expect(call.error).to.match(/TypeError: Failed to fetch/);
    }
  });
});
