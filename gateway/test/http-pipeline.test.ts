import { expect } from 'chai';
import { v7 as uuidv7, version as uuidVersion } from 'uuid';
import { describeEachDatabase } from '../../common/test/databases';
import { errorPaths, expectProblem } from './support/problems';
import { startSystem, type TestAccount, type TestSystem } from './support/system';

const purchase = {
  productType: 'GOLD_9999',
  quantity: '1.00',
  deliveryAddress: '123 Teheran-ro, Gangnam-gu, Seoul',
  recipientName: 'Kim Minji',
  contactNumber: '+82 10-1234-5678',
  postalCode: '06234',
};

describeEachDatabase('gateway request pipeline', (database) => {
  let system: TestSystem;
  let user: TestAccount;
  before(async () => {
    system = await startSystem(database);
    user = await system.registerAndLogin();
  });
  after(() => system?.stop());

  describe('bearer tokens', () => {
    const malformed = [
      ['no header', undefined],
      ['lower-case scheme', 'bearer abc.def.ghi'],
      ['scheme only', 'Bearer'],
      ['scheme and a space', 'Bearer '],
      ['two spaces', 'Bearer  abc.def.ghi'],
      ['two tokens', 'Bearer abc def'],
      ['Basic credentials', 'Basic dXNlcjpwYXNzd29yZDE='],
      ['a token the auth service never issued', 'Bearer not.a.token'],
    ] as const;
    for (const [name, header] of malformed) {
      it(`answers 401 with a Bearer challenge for ${name}`, async () => {
        const request = system.request().get('/orders');
        const res = await (header === undefined ? request : request.set('Authorization', header));
        expectProblem(res, 401, 'unauthenticated');
        expect(res.headers['www-authenticate']).to.equal('Bearer');
      });
    }

    it('checks the token before the request: 401 comes before 400', async () => {
      expectProblem(await system.request().get('/orders?bogus=1'), 401, 'unauthenticated');
      expectProblem(await system.request().get('/orders/not-a-uuid'), 401, 'unauthenticated');
      expectProblem(
        await system.request().post('/orders/purchase').set('Content-Type', 'application/json').send('{"broken'),
        401,
        'unauthenticated',
      );
      expectProblem(
        await system
          .request()
          .post('/orders/purchase')
          .set('Authorization', 'Bearer forged.token.x')
          .send({ nonsense: 1 }),
        401,
        'unauthenticated',
      );
      expectProblem(
        await system.request().post('/orders/purchase').set('Content-Type', 'text/plain').send('hello'),
        401,
        'unauthenticated',
      );
    });

    it('with a valid token, the same requests are 400', async () => {
      const auth = `Bearer ${user.accessToken}`;
      const unknownQuery = await system.request().get('/orders?bogus=1').set('Authorization', auth);
      expectProblem(unknownQuery, 400, 'invalid-request');
      expect(errorPaths(unknownQuery)).to.deep.equal(['/query/bogus']);
      const badId = await system.request().get('/orders/not-a-uuid').set('Authorization', auth);
      expectProblem(badId, 400, 'invalid-request');
      expect(errorPaths(badId)).to.deep.equal(['/params/orderId']);
      const badBody = await system
        .request()
        .post('/orders/purchase')
        .set('Authorization', auth)
        .send({ ...purchase, price: 1 });
      expectProblem(badBody, 400, 'invalid-request');
      expect(errorPaths(badBody)).to.deep.equal(['/body/price']);
    });
  });

  describe('request validation', () => {
    it('rejects unknown query parameters on public routes too', async () => {
      const res = await system.request().get('/healthz?verbose=true');
      expectProblem(res, 400, 'invalid-request');
      expect(errorPaths(res)).to.deep.equal(['/query/verbose']);
    });

    it('reports every broken field at once with its location', async () => {
      const res = await system
        .request()
        .get('/orders?limit=0&offset=-1&date=2026-02-30&orderType=purchase')
        .set('Authorization', `Bearer ${user.accessToken}`);
      expectProblem(res, 400, 'invalid-request');
      expect(errorPaths(res)).to.include.members(['/query/limit', '/query/offset', '/query/date', '/query/orderType']);
    });

    it('checks headers against the contract', async () => {
      const res = await system
        .request()
        .post('/orders/purchase')
        .set('Authorization', `Bearer ${user.accessToken}`)
        .set('Idempotency-Key', 'has spaces')
        .send(purchase);
      expectProblem(res, 400, 'invalid-request');
      expect(errorPaths(res)).to.deep.equal(['/headers/idempotency-key']);
    });

    it('accepts numbers with at most two places and rejects more places or exponents', async () => {
      const auth = `Bearer ${user.accessToken}`;
      for (const quantity of [10, 10.5, 2.34, '10.50']) {
        const res = await system
          .request()
          .post('/orders/purchase')
          .set('Authorization', auth)
          .send({ ...purchase, quantity });
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
      }
      for (const quantity of [1.234, 1e-7, 0, -1, '1e3', '1.234', 1e21]) {
        const res = await system
          .request()
          .post('/orders/purchase')
          .set('Authorization', auth)
          .send({ ...purchase, quantity });
        expectProblem(res, 400, 'invalid-request');
        expect(errorPaths(res)).to.include('/body/quantity');
      }
    });
  });

  describe('bodies', () => {
    const register = () => system.request().post('/auth/register');

    it('answers 400 for malformed JSON', async () => {
      const res = await register().set('Content-Type', 'application/json').send('{"username": "abc');
      expectProblem(res, 400, 'invalid-request');
      expect(errorPaths(res)).to.deep.equal(['/body']);
    });

    it('answers 413 for a body over 16 KiB', async () => {
      const res = await register().send({ username: 'big_body', password: 'x'.repeat(17 * 1024) });
      expectProblem(res, 413, 'payload-too-large');
    });

    it('answers 415 for other media types, other charsets or none at all', async () => {
      expectProblem(
        await register().set('Content-Type', 'text/plain').send('username=abc'),
        415,
        'unsupported-media-type',
      );
      expectProblem(
        await register()
          .set('Content-Type', 'application/x-www-form-urlencoded')
          .send('username=abcd&password=x1234567'),
        415,
        'unsupported-media-type',
      );
      for (const charset of ['latin1', 'utf-16']) {
        const res = await register()
          .set('Content-Type', `application/json; charset=${charset}`)
          .send('{"username":"abcd"}');
        expectProblem(res, 415, 'unsupported-media-type');
      }
      expectProblem(await system.request().post('/auth/register'), 415, 'unsupported-media-type');
    });

    it('accepts application/json with a UTF-8 charset in any case', async () => {
      const res = await register()
        .set('Content-Type', 'application/json; charset=UTF-8')
        .send(JSON.stringify({ username: 'charset_ok', password: 'gold-bar-1' }));
      expect(res.status).to.equal(204);
    });

    it('ignores the content type of routes without a body', async () => {
      expect(
        (await system.request().get('/healthz').set('Content-Type', 'text/plain').send('ignored')).status,
      ).to.equal(200);
      const res = await system
        .request()
        .delete(`/orders/${uuidv7()}`)
        .set('Authorization', `Bearer ${user.accessToken}`)
        .set('Content-Type', 'text/plain')
        .send('ignored');
      expectProblem(res, 404, 'not-found');
    });
  });

  describe('unknown routes and methods', () => {
    it('answers 404 not-found for a path outside the contract', async () => {
      expectProblem(await system.request().get('/nowhere'), 404, 'not-found');
      expectProblem(await system.request().get('/Orders'), 404, 'not-found');
    });

    it('answers 405 with Allow for a method the path does not have', async () => {
      const res = await system.request().put('/healthz');
      expectProblem(res, 405, 'method-not-allowed');
      expect(res.headers.allow).to.equal('GET');
      const purchaseGet = await system
        .request()
        .get('/orders/purchase')
        .set('Authorization', `Bearer ${user.accessToken}`);
      expectProblem(purchaseGet, 405, 'method-not-allowed');
      expect(purchaseGet.headers.allow).to.equal('POST');
    });
  });

  describe('X-Request-Id', () => {
    it('echoes a sane request id, on success and on errors', async () => {
      for (const path of ['/healthz', '/nowhere', '/orders']) {
        const res = await system.request().get(path).set('X-Request-Id', 'trace-42.abc_DEF');
        expect(res.headers['x-request-id']).to.equal('trace-42.abc_DEF');
      }
    });

    it('replaces a missing or insane id with a new UUID v7', async () => {
      const ids = new Set<string>();
      for (const offered of [undefined, 'x'.repeat(129), 'has space', 'ünïcode', '']) {
        const request = system.request().get('/healthz');
        const res = await (offered === undefined ? request : request.set('X-Request-Id', offered));
        const id = res.headers['x-request-id'] as string;
        expect(uuidVersion(id)).to.equal(7);
        ids.add(id);
      }
      expect(ids.size).to.equal(5);
    });
  });

  describe('security headers', () => {
    it('sends helmet headers and a CSP that lets the docs load from this origin', async () => {
      const res = await system.request().get('/healthz');
      expect(res.headers['x-content-type-options']).to.equal('nosniff');
      expect(res.headers['x-frame-options']).to.equal('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).to.match(/max-age=\d+/);
      expect(res.headers['referrer-policy']).to.equal('no-referrer');
      expect(res.headers).to.not.have.property('x-powered-by');
      const csp = res.headers['content-security-policy'] as string;
      expect(csp).to.include("default-src 'self'").and.include("script-src 'self'").and.include("object-src 'none'");
      expect(csp).to.not.include('upgrade-insecure-requests');
    });
  });
});
