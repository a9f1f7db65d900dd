import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { expect } from 'chai';
import { describeEachDatabase } from '../../common/test/databases';
import { startSystem, type TestSystem } from './support/system';

function get(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

describeEachDatabase('gateway lifecycle', (database) => {
  describe('graceful stop', () => {
    let system: TestSystem;
    before(async () => {
      // A real bcrypt cost makes a login slow enough to be in flight while the gateway stops.
      system = await startSystem(database, { BCRYPT_COST: '12' });
    });
    after(() => system?.stop());

    it('finishes in-flight requests, closes idle keep-alive connections at once and refuses new ones', async () => {
      const credentials = { username: 'slow_login', password: 'gold-bar-12' };
      await system.request().post('/auth/register').send(credentials).expect(204);
      const agent = new http.Agent({ keepAlive: true });
      expect(await get(`${system.gateway.url}/healthz`, agent)).to.equal(200); // leaves an idle keep-alive socket

      const inFlight = system
        .request()
        .post('/auth/login')
        .send(credentials)
        .then((res) => res);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const stopping = Date.now();
      await system.gateway.stop();
      const stopped = Date.now();
      // The login (a bcrypt hash of ~200 ms) was waited for; the idle socket was not (keep-alive lasts 65 s).
      expect(stopped - stopping).to.be.within(100, 3000);
      expect((await inFlight).status).to.equal(200);
      const refused = await get(`${system.gateway.url}/healthz`, new http.Agent()).catch(
        (error: NodeJS.ErrnoException) => error.code,
      );
      expect(refused).to.equal('ECONNREFUSED');
      agent.destroy();
    });
  });

  describe('auth service on a unix socket', () => {
    let system: TestSystem;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'aletheia-sock-'));
      system = await startSystem(database, { AUTH_GRPC_ADDRESS: `unix:${path.join(dir, 'auth.sock')}` });
    });
    after(async () => {
      await system?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('serves protected routes and readiness through it', async () => {
      const account = await system.registerAndLogin();
      expect(
        (await system.request().get('/orders').set('Authorization', `Bearer ${account.accessToken}`)).status,
      ).to.equal(200);
      expect((await system.request().get('/readyz')).body.checks.authService).to.equal('up');
    });
  });
});
