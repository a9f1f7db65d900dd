import { expect } from 'chai';
import type { DatabaseConfig } from '../../common/src/config';
import { describeEachDatabase, type TestDatabase } from '../../common/test/databases';
import { expectProblem } from './support/problems';
import { startSystem, type TestAccount, type TestSystem } from './support/system';
import { TcpProxy } from './support/tcp-proxy';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachDatabase('gateway resilience', (database) => {
  describe('auth service down', () => {
    let system: TestSystem;
    let user: TestAccount;
    before(async () => {
      // No cached validations: every protected request must reach the auth service.
      system = await startSystem(database, { TOKEN_CACHE_TTL_MS: '0' });
      user = await system.registerAndLogin();
    });
    after(() => system?.stop());

    it('answers 503 with Retry-After on protected and auth routes, never 401 or 500; public routes keep working', async () => {
      await system.stopAuth();
      const orders = await system.request().get('/orders').set('Authorization', `Bearer ${user.accessToken}`);
      expectProblem(orders, 503, 'auth-service-unavailable');
      expect(Number(orders.headers['retry-after'])).to.be.greaterThan(0);
      expectProblem(
        await system.request().post('/auth/login').send({ username: user.username, password: user.password }),
        503,
        'auth-service-unavailable',
      );
      expectProblem(
        await system.request().post('/auth/register').send({ username: 'while_down', password: 'gold-bar-1' }),
        503,
        'auth-service-unavailable',
      );
      expectProblem(
        await system.request().post('/auth/refresh').set('Authorization', `Bearer ${user.refreshToken}`),
        503,
        'auth-service-unavailable',
      );
      // No token is still 401: that answer needs no auth service.
      expectProblem(await system.request().get('/orders'), 401, 'unauthenticated');
      expect((await system.request().get('/products')).status).to.equal(200);
      expect((await system.request().get('/healthz')).status).to.equal(200);
    });

    it('works again once the auth service is back on the same port, without a gateway restart', async () => {
      await system.stopAuth();
      await pause(300); // let the channel fail and back off
      await system.startAuth();
      for (;;) {
        const res = await system.request().get('/orders').set('Authorization', `Bearer ${user.accessToken}`);
        if (res.status === 200) break;
        expectProblem(res, 503, 'auth-service-unavailable');
        await pause(50);
      }
    });
  });

  describe('orders database down', () => {
    let system: TestSystem;
    let user: TestAccount;
    before(async () => {
      system = await startSystem(database, {}, { ordersOutages: true });
      user = await system.registerAndLogin();
    });
    after(() => system?.stop());

    it('answers 503 database-unavailable with Retry-After and no internals, and recovers', async () => {
      const outage = await system.ordersOutage();
      try {
        const orders = await system.request().get('/orders').set('Authorization', `Bearer ${user.accessToken}`);
        expectProblem(orders, 503, 'database-unavailable');
        expect(Number(orders.headers['retry-after'])).to.be.greaterThan(0);
        expectProblem(await system.request().get('/products'), 503, 'database-unavailable');
      } finally {
        await outage.end();
      }
      expect(
        (await system.request().get('/orders').set('Authorization', `Bearer ${user.accessToken}`)).status,
      ).to.equal(200);
    });
  });

  if (database.kind === 'mysql') {
    describe('MySQL connection lost', () => {
      let proxy: TcpProxy;
      let system: TestSystem;
      let user: TestAccount;
      before(async () => {
        // The orders database is reached through a proxy the test can cut, like a network failure.
        let server: DatabaseConfig | undefined;
        const throughProxy: TestDatabase = {
          kind: database.kind,
          async create() {
            server = await database.create();
            if (server.client !== 'mysql') throw new Error('expected MySQL');
            proxy = await TcpProxy.start(server.hosts[0]);
            return { ...server, hosts: [{ host: '127.0.0.1', port: proxy.port }] };
          },
          drop: () => database.drop(),
        };
        system = await startSystem(throughProxy);
        user = await system.registerAndLogin();
      });
      after(async () => {
        await proxy?.restore();
        await system?.stop();
        await proxy?.cut();
      });

      it('answers 503 while the server is unreachable and recovers by itself', async () => {
        const auth = `Bearer ${user.accessToken}`;
        expect((await system.request().get('/orders').set('Authorization', auth)).status).to.equal(200);
        await proxy.cut();
        const orders = await system.request().get('/orders').set('Authorization', auth);
        expectProblem(orders, 503, 'database-unavailable');
        expectProblem(await system.request().get('/products'), 503, 'database-unavailable');
        const ready = await system.request().get('/readyz');
        expect(ready.status).to.equal(503);
        expect(ready.body.checks).to.deep.equal({ database: 'down', authService: 'up' });
        await proxy.restore();
        expect((await system.request().get('/orders').set('Authorization', auth)).status).to.equal(200);
        expect((await system.request().get('/readyz')).status).to.equal(200);
      });
    });
  }
});
