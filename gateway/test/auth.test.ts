import { expect } from 'chai';
import { describeEachDatabase } from '../../common/test/databases';
import { errorPaths, expectProblem } from './support/problems';
import { startSystem, type TestSystem } from './support/system';

const lockAfter = 3;

describeEachDatabase('gateway auth routes', (database) => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(database, { LOGIN_MAX_FAILURES: String(lockAfter), LOGIN_LOCK_SECONDS: '600' });
  });
  after(() => system?.stop());

  const listOrders = (token: string) => system.request().get('/orders').set('Authorization', `Bearer ${token}`);

  describe('POST /auth/register', () => {
    it('creates an account (204, no body)', async () => {
      const res = await system
        .request()
        .post('/auth/register')
        .send({ username: 'new_buyer_1', password: 'gold-bar-1' });
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
    });

    it('answers 409 username-taken for a name taken in any case', async () => {
      await system
        .request()
        .post('/auth/register')
        .send({ username: 'Taken_Name', password: 'gold-bar-1' })
        .expect(204);
      expectProblem(
        await system.request().post('/auth/register').send({ username: 'tAKEN_nAME', password: 'other-pass-2' }),
        409,
        'username-taken',
      );
    });

    it('answers 400 naming each field that breaks the contract', async () => {
      const res = await system.request().post('/auth/register').send({ username: 'ab', extra: true });
      expectProblem(res, 400, 'invalid-request');
      expect(errorPaths(res)).to.have.members(['/body/username', '/body/password', '/body/extra']);
    });

    it("answers 400 with the auth service's reason for a weak password", async () => {
      const res = await system.request().post('/auth/register').send({ username: 'weak_one', password: 'iloveyou1' });
      expectProblem(res, 400, 'invalid-request');
      expect(res.body.detail).to.match(/10,000 most common/);
      const same = await system
        .request()
        .post('/auth/register')
        .send({ username: 'same_as_pw1', password: 'same_as_pw1' });
      expectProblem(same, 400, 'invalid-request');
    });

    it('counts a password in characters, not bytes: 128 two-byte characters are accepted, 129 refused', async () => {
      const accepted = await system
        .request()
        .post('/auth/register')
        .send({ username: 'chars_user', password: `${'é'.repeat(127)}1` });
      expect(accepted.status, JSON.stringify(accepted.body)).to.equal(204);
      const refused = await system
        .request()
        .post('/auth/register')
        .send({ username: 'chars_user2', password: `${'é'.repeat(128)}1` });
      expectProblem(refused, 400, 'invalid-request');
    });
  });

  describe('POST /auth/login', () => {
    it('returns a token pair that no cache may keep', async () => {
      await system.request().post('/auth/register').send({ username: 'login_ok', password: 'gold-bar-1' }).expect(204);
      const res = await system.request().post('/auth/login').send({ username: 'LOGIN_OK', password: 'gold-bar-1' });
      expect(res.status).to.equal(200);
      expect(res.body).to.have.all.keys('accessToken', 'refreshToken', 'tokenType', 'expiresIn');
      expect(res.body).to.include({ tokenType: 'Bearer', expiresIn: 900 });
      expect(res.headers['cache-control']).to.equal('no-store');
      expect((await listOrders(res.body.accessToken)).status).to.equal(200);
    });

    it('gives the same 401 for an unknown user and a wrong password', async () => {
      await system.request().post('/auth/register').send({ username: 'login_bad', password: 'gold-bar-1' }).expect(204);
      const unknown = await system
        .request()
        .post('/auth/login')
        .send({ username: 'nobody_here', password: 'gold-bar-1' });
      const wrong = await system.request().post('/auth/login').send({ username: 'login_bad', password: 'gold-bar-2' });
      expectProblem(unknown, 401, 'invalid-credentials');
      expectProblem(wrong, 401, 'invalid-credentials');
      expect(wrong.body.detail).to.equal(unknown.body.detail);
      expect(wrong.headers['www-authenticate']).to.equal('Bearer');
    });

    it('refuses this client for the account after repeated failures: 429 with Retry-After, even with the right password', async () => {
      await system
        .request()
        .post('/auth/register')
        .send({ username: 'locked_out', password: 'gold-bar-1' })
        .expect(204);
      for (let attempt = 0; attempt < lockAfter; attempt++) {
        expectProblem(
          await system.request().post('/auth/login').send({ username: 'locked_out', password: 'wrong-pass-9' }),
          401,
          'invalid-credentials',
        );
      }
      const res = await system.request().post('/auth/login').send({ username: 'locked_out', password: 'gold-bar-1' });
      expectProblem(res, 429, 'too-many-login-failures');
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).to.be.a('number').within(1, 600);
    });

    it('answers 400 for a body that breaks the contract', async () => {
      const res = await system.request().post('/auth/login').send({ username: 'x' });
      expectProblem(res, 400, 'invalid-request');
      expect(errorPaths(res)).to.include.members(['/body/username', '/body/password']);
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates the refresh token; the spent one is theft and revokes the whole session', async () => {
      const account = await system.registerAndLogin();
      const rotated = await system
        .request()
        .post('/auth/refresh')
        .set('Authorization', `Bearer ${account.refreshToken}`);
      expect(rotated.status).to.equal(200);
      expect(rotated.body.tokenType).to.equal('Bearer');
      expect(rotated.body.refreshToken).to.not.equal(account.refreshToken);
      expect(rotated.headers['cache-control']).to.equal('no-store');
      expect((await listOrders(rotated.body.accessToken)).status).to.equal(200);
      const third = await system
        .request()
        .post('/auth/refresh')
        .set('Authorization', `Bearer ${rotated.body.refreshToken}`);
      expect(third.status).to.equal(200);
      expect((await listOrders(third.body.accessToken)).status).to.equal(200);

      // Older than the token rotated last: theft even within the grace window.
      const reused = await system
        .request()
        .post('/auth/refresh')
        .set('Authorization', `Bearer ${account.refreshToken}`);
      expectProblem(reused, 401, 'unauthenticated');
      expectProblem(
        await system.request().post('/auth/refresh').set('Authorization', `Bearer ${third.body.refreshToken}`),
        401,
        'unauthenticated',
      );
      // This gateway saw the reuse: the session's cached access tokens are refused at once.
      expectProblem(await listOrders(third.body.accessToken), 401, 'unauthenticated');
      expectProblem(await listOrders(rotated.body.accessToken), 401, 'unauthenticated');
      expectProblem(await listOrders(account.accessToken), 401, 'unauthenticated');
    });

    it('never accepts an access token as a refresh token', async () => {
      const account = await system.registerAndLogin();
      expectProblem(
        await system.request().post('/auth/refresh').set('Authorization', `Bearer ${account.accessToken}`),
        401,
        'unauthenticated',
      );
    });

    it('answers 401 without a bearer token', async () => {
      const res = await system.request().post('/auth/refresh');
      expectProblem(res, 401, 'unauthenticated');
      expect(res.headers['www-authenticate']).to.equal('Bearer');
    });

    it('takes the refresh token in the JSON body too, ignoring an Authorization header that carries the access token', async () => {
      const account = await system.registerAndLogin();
      const rotated = await system
        .request()
        .post('/auth/refresh')
        .set('Authorization', `Bearer ${account.accessToken}`)
        .send({ refreshToken: account.refreshToken });
      expect(rotated.status, JSON.stringify(rotated.body)).to.equal(200);
      expect(rotated.body.refreshToken).to.not.equal(account.refreshToken);
      const again = await system.request().post('/auth/refresh').send({ refreshToken: rotated.body.refreshToken });
      expect(again.status, JSON.stringify(again.body)).to.equal(200);
      expect((await listOrders(again.body.accessToken)).status).to.equal(200);
    });

    it('judges the body token like the header one: an access token or garbage is 401', async () => {
      const account = await system.registerAndLogin();
      for (const refreshToken of [account.accessToken, 'not-a-token']) {
        const res = await system
          .request()
          .post('/auth/refresh')
          .set('Authorization', `Bearer ${account.refreshToken}`)
          .send({ refreshToken });
        expectProblem(res, 401, 'unauthenticated');
      }
    });

    it('answers 400 for a body that breaks the contract, an empty JSON body included', async () => {
      const account = await system.registerAndLogin();
      for (const body of [
        {},
        { refreshToken: '' },
        { refreshToken: 1 },
        { refreshToken: account.refreshToken, extra: 1 },
      ]) {
        const res = await system.request().post('/auth/refresh').send(body);
        expectProblem(res, 400, 'invalid-request');
      }
      const empty = await system
        .request()
        .post('/auth/refresh')
        .set('Authorization', `Bearer ${account.refreshToken}`)
        .set('Content-Type', 'application/json')
        .send('');
      expectProblem(empty, 400, 'invalid-request');
      expect(empty.body.errors).to.deep.equal([{ path: '/body', message: 'must be a JSON document, not empty' }]);
    });
  });

  describe('POST /auth/logout', () => {
    it('ends the session at once: its access and refresh tokens are 401 from then on', async () => {
      const account = await system.registerAndLogin();
      expect((await listOrders(account.accessToken)).status).to.equal(200); // now cached by this gateway
      expect(
        (await system.request().post('/auth/logout').set('Authorization', `Bearer ${account.accessToken}`)).status,
      ).to.equal(204);
      expectProblem(await listOrders(account.accessToken), 401, 'unauthenticated');
      expectProblem(
        await system.request().post('/auth/refresh').set('Authorization', `Bearer ${account.refreshToken}`),
        401,
        'unauthenticated',
      );
      expectProblem(
        await system.request().post('/auth/logout').set('Authorization', `Bearer ${account.accessToken}`),
        401,
        'unauthenticated',
      );
    });

    it('validates a new token once however many requests carry it at the same time', async () => {
      const validations = async () => {
        const metrics = (await system.request().get('/metrics')).text;
        const line = /^grpc_client_call_duration_seconds_count\{method="ValidateToken",code="OK"\} (\d+)/m.exec(
          metrics,
        );
        return Number(line?.[1] ?? 0);
      };
      const account = await system.registerAndLogin();
      const before = await validations();
      const answers = await Promise.all(Array.from({ length: 10 }, () => listOrders(account.accessToken)));
      expect(answers.map((res) => res.status)).to.deep.equal(Array(10).fill(200));
      expect((await validations()) - before).to.equal(1);
    });

    it('leaves the user’s other sessions alone', async () => {
      const first = await system.registerAndLogin();
      const second = await system
        .request()
        .post('/auth/login')
        .send({ username: first.username, password: first.password });
      await system.request().post('/auth/logout').set('Authorization', `Bearer ${first.accessToken}`).expect(204);
      expect((await listOrders(second.body.accessToken)).status).to.equal(200);
    });

    it('never accepts a refresh token as an access token', async () => {
      const account = await system.registerAndLogin();
      expectProblem(
        await system.request().post('/auth/logout').set('Authorization', `Bearer ${account.refreshToken}`),
        401,
        'unauthenticated',
      );
    });
  });
});
