import { Writable } from 'node:stream';
import { expect } from 'chai';
import bcrypt from 'bcrypt';
import { v7 as uuidv7 } from 'uuid';
import { toDbTime } from '../../common/src/db-time';
import { createLogger } from '../../common/src/logger';
import { describeEachDatabase } from '../../common/test/databases';
import { expectProblem } from './support/problems';
import { startSystem, testAdmin, type TestAccount, type TestSystem } from './support/system';

/** `count` Hangul syllables, varied, each one code point of three UTF-8 bytes. */
const hangul = (count: number) =>
  Array.from({ length: count }, (_, i) => String.fromCodePoint(0xac00 + ((i * 53) % 11172))).join('');
/** The text with its character at `index` (code points) replaced by another. */
function changedAt(text: string, index: number): string {
  const characters = [...text];
  characters[index] = characters[index] === '금' ? '은' : '금';
  return characters.join('');
}

describeEachDatabase('gateway: passwords, sessions and account controls', (database) => {
  let system: TestSystem;
  const logLines: Array<Record<string, unknown>> = [];
  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    // A token cache far longer than any test: a session that stops working did so because it was evicted.
    system = await startSystem(
      database,
      { TOKEN_CACHE_TTL_MS: '60000', SESSION_CACHE_TTL_MS: '60000', REFRESH_GRACE_SECONDS: '1' },
      { gatewayLogger: createLogger('gateway', 'info', sink) },
    );
  });
  after(() => system?.stop());

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const listOrders = (token: string) => system.request().get('/orders').set(bearer(token));
  const login = (username: string, password: string) =>
    system.request().post('/auth/login').send({ username, password });
  /** A second session of the account, its access token validated (so this gateway caches it). */
  async function anotherSession(account: TestAccount) {
    const res = await login(account.username, account.password);
    expect(res.status).to.equal(200);
    expect((await listOrders(res.body.accessToken)).status).to.equal(200);
    return res.body as { accessToken: string; refreshToken: string };
  }

  describe('passwords (ASVS 5.0 §6.2)', () => {
    it('registers a 64-character Hangul password and logs in with it; a changed 64th character fails', async () => {
      const password = hangul(64);
      expect(Buffer.byteLength(password)).to.equal(192);
      await system.request().post('/auth/register').send({ username: 'hangul_64', password }).expect(204);
      expect((await login('hangul_64', password)).status).to.equal(200);
      expectProblem(await login('hangul_64', changedAt(password, 63)), 401, 'invalid-credentials');
    });

    it('verifies past 64 characters: a 65-character password with only its 65th character changed fails', async () => {
      const password = hangul(65);
      await system.request().post('/auth/register').send({ username: 'hangul_65', password }).expect(204);
      expect((await login('hangul_65', password)).status).to.equal(200);
      expectProblem(await login('hangul_65', changedAt(password, 64)), 401, 'invalid-credentials');
    });

    it('refuses the common passwords, the username and more than 128 characters (400); letters only is fine', async () => {
      for (const password of ['Password1', 'password1', 'Passw0rd', 'qwerty123', 'abc12345']) {
        const res = await system.request().post('/auth/register').send({ username: 'common_try', password });
        expectProblem(res, 400, 'invalid-request');
        expect(res.body.detail).to.match(/10,000 most common/);
      }
      const same = await system.request().post('/auth/register').send({ username: 'same_name', password: 'SAME_NAME' });
      expectProblem(same, 400, 'invalid-request');
      const long = await system
        .request()
        .post('/auth/register')
        .send({ username: 'long_one', password: hangul(129) });
      expectProblem(long, 400, 'invalid-request');
      expect(long.body.errors).to.deep.equal([
        { path: '/body/password', message: 'must be at most 128 characters long' },
      ]);
      await system
        .request()
        .post('/auth/register')
        .send({ username: 'letters_only', password: 'nodigitsatall' })
        .expect(204);
    });

    it('logs in with a hash of the old scheme and upgrades it', async () => {
      const id = uuidv7();
      const now = toDbTime(new Date());
      await system.auth.db.execute(
        'insert into users (id, username, username_normalized, password_hash, role, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)',
        [id, 'old_scheme', 'old_scheme', await bcrypt.hash('gold-bar-1', 4), 'USER', now, now],
      );
      expect((await login('old_scheme', 'gold-bar-1')).status).to.equal(200);
      const [row] = (await system.auth.db.query('select password_scheme from users where id = ?', [id])) as Array<{
        password_scheme: string;
      }>;
      expect(row.password_scheme).to.equal('hmac-sha256-bcrypt');
      expect((await login('old_scheme', 'gold-bar-1')).status).to.equal(200);
    });
  });

  describe('refresh with a grace window (REFRESH_GRACE_SECONDS=1)', () => {
    it('answers two simultaneous refreshes with one token both 200 with the same pair, and the session lives', async () => {
      const account = await system.registerAndLogin();
      const [first, second] = await Promise.all([
        system.request().post('/auth/refresh').send({ refreshToken: account.refreshToken }),
        system.request().post('/auth/refresh').set(bearer(account.refreshToken)),
      ]);
      expect([first.status, second.status]).to.deep.equal([200, 200]);
      expect(second.body).to.deep.equal(first.body);
      expect((await listOrders(first.body.accessToken)).status).to.equal(200);
      const next = await system.request().post('/auth/refresh').send({ refreshToken: first.body.refreshToken });
      expect(next.status).to.equal(200);
    });

    it('revokes the session on a reuse after the window: its cached access tokens are 401 at once on this gateway', async () => {
      const account = await system.registerAndLogin();
      expect((await listOrders(account.accessToken)).status).to.equal(200); // cached here for 60 s
      const rotated = await system.request().post('/auth/refresh').send({ refreshToken: account.refreshToken });
      expect(rotated.status).to.equal(200);
      expect((await listOrders(rotated.body.accessToken)).status).to.equal(200);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expectProblem(
        await system.request().post('/auth/refresh').send({ refreshToken: account.refreshToken }),
        401,
        'unauthenticated',
      );
      expectProblem(await listOrders(account.accessToken), 401, 'unauthenticated');
      expectProblem(await listOrders(rotated.body.accessToken), 401, 'unauthenticated');
      expectProblem(
        await system.request().post('/auth/refresh').send({ refreshToken: rotated.body.refreshToken }),
        401,
        'unauthenticated',
      );
    });
  });

  describe('POST /auth/password', () => {
    it('changes the password: the other sessions end at once on this gateway, the current one goes on', async () => {
      const account = await system.registerAndLogin();
      expect((await listOrders(account.accessToken)).status).to.equal(200);
      const other = await anotherSession(account);
      const res = await system
        .request()
        .post('/auth/password')
        .set(bearer(account.accessToken))
        .send({ currentPassword: account.password, newPassword: '금괴를 사는 가장 안전한 방법' });
      expect(res.status, JSON.stringify(res.body)).to.equal(204);
      expectProblem(await listOrders(other.accessToken), 401, 'unauthenticated');
      expectProblem(
        await system.request().post('/auth/refresh').send({ refreshToken: other.refreshToken }),
        401,
        'unauthenticated',
      );
      expect((await listOrders(account.accessToken)).status).to.equal(200);
      expect(
        (await system.request().post('/auth/refresh').send({ refreshToken: account.refreshToken })).status,
      ).to.equal(200);
      expectProblem(await login(account.username, account.password), 401, 'invalid-credentials');
      expect((await login(account.username, '금괴를 사는 가장 안전한 방법')).status).to.equal(200);
    });

    it('answers a wrong current password 401 invalid-credentials and ends nothing; a weak new one 400', async () => {
      const account = await system.registerAndLogin();
      const other = await anotherSession(account);
      const wrong = await system
        .request()
        .post('/auth/password')
        .set(bearer(account.accessToken))
        .send({ currentPassword: 'not-my-password', newPassword: 'brand-new-pass-1' });
      expectProblem(wrong, 401, 'invalid-credentials');
      expect((await listOrders(other.accessToken)).status).to.equal(200);
      const weak = await system
        .request()
        .post('/auth/password')
        .set(bearer(account.accessToken))
        .send({ currentPassword: account.password, newPassword: 'qwerty123' });
      expectProblem(weak, 400, 'invalid-request');
      const extra = await system
        .request()
        .post('/auth/password')
        .set(bearer(account.accessToken))
        .send({ currentPassword: account.password, newPassword: 'brand-new-pass-1', userId: account.userId });
      expectProblem(extra, 400, 'invalid-request');
      expectProblem(
        await system.request().post('/auth/password').send({ currentPassword: 'x', newPassword: 'brand-new-pass-1' }),
        401,
        'unauthenticated',
      );
      expect((await login(account.username, account.password)).status).to.equal(200);
    });
  });

  describe('GET /auth/sessions, DELETE /auth/sessions/{sessionId}, POST /auth/logout-all', () => {
    it('lists the caller’s own live sessions, never a token, the current one marked', async () => {
      const account = await system.registerAndLogin();
      await anotherSession(account);
      const stranger = await system.registerAndLogin();
      const res = await system.request().get('/auth/sessions').set(bearer(account.accessToken)).set('User-Agent', 'x');
      expect(res.status).to.equal(200);
      expect(res.headers['cache-control']).to.equal('no-store');
      const sessions = res.body.data as Array<Record<string, unknown>>;
      expect(sessions).to.have.length(2);
      expect(sessions.filter((session) => session.current)).to.have.length(1);
      for (const session of sessions) {
        expect(session).to.have.all.keys('id', 'createdAt', 'lastUsedAt', 'clientAddress', 'userAgent', 'current');
        expect(session.clientAddress).to.equal('127.0.0.1');
      }
      const text = JSON.stringify(res.body);
      for (const secret of [account.accessToken, account.refreshToken, stranger.accessToken])
        expect(text).to.not.contain(secret);
    });

    it('ends one own session at once on this gateway; another user’s session id is 404 and stays live', async () => {
      const account = await system.registerAndLogin();
      const other = await anotherSession(account);
      const stranger = await system.registerAndLogin();
      expect((await listOrders(stranger.accessToken)).status).to.equal(200);
      const strangerSessions = await system.request().get('/auth/sessions').set(bearer(stranger.accessToken));
      const strangerId = (strangerSessions.body.data as Array<{ id: string }>)[0].id;
      expectProblem(
        await system.request().delete(`/auth/sessions/${strangerId}`).set(bearer(account.accessToken)),
        404,
        'not-found',
      );
      expect((await listOrders(stranger.accessToken)).status).to.equal(200);
      const own = await system.request().get('/auth/sessions').set(bearer(account.accessToken));
      const otherId = (own.body.data as Array<{ id: string; current: boolean }>).find((s) => !s.current)!.id;
      expect(
        (await system.request().delete(`/auth/sessions/${otherId}`).set(bearer(account.accessToken))).status,
      ).to.equal(204);
      expectProblem(await listOrders(other.accessToken), 401, 'unauthenticated');
      expect((await listOrders(account.accessToken)).status).to.equal(200);
      expectProblem(
        await system.request().delete(`/auth/sessions/${otherId}`).set(bearer(account.accessToken)),
        404,
        'not-found',
      );
      expectProblem(
        await system.request().delete('/auth/sessions/not-a-uuid').set(bearer(account.accessToken)),
        400,
        'invalid-request',
      );
    });

    it('logs out everywhere: every session of the account is 401 at once on this gateway', async () => {
      const account = await system.registerAndLogin();
      expect((await listOrders(account.accessToken)).status).to.equal(200);
      const other = await anotherSession(account);
      expect((await system.request().post('/auth/logout-all').set(bearer(account.accessToken))).status).to.equal(204);
      expectProblem(await listOrders(account.accessToken), 401, 'unauthenticated');
      expectProblem(await listOrders(other.accessToken), 401, 'unauthenticated');
      expectProblem(
        await system.request().post('/auth/refresh').send({ refreshToken: other.refreshToken }),
        401,
        'unauthenticated',
      );
    });
  });

  describe('PUT /auth/accounts/{username}/status (ADMIN)', () => {
    const setStatus = (token: string, username: string, status: string) =>
      system.request().put(`/auth/accounts/${username}/status`).set(bearer(token)).send({ status });

    it('disables an account: its access token is 401 at once on this gateway, it cannot log in or refresh; enabling lets it log in', async () => {
      const admin = await system.registerAndLogin('ADMIN');
      const account = await system.registerAndLogin();
      expect((await listOrders(account.accessToken)).status).to.equal(200); // cached here for 60 s
      const disabled = await setStatus(admin.accessToken, account.username.toUpperCase(), 'DISABLED');
      expect(disabled.status, JSON.stringify(disabled.body)).to.equal(200);
      expect(disabled.body).to.deep.equal({ username: account.username, status: 'DISABLED' });
      expectProblem(await listOrders(account.accessToken), 401, 'unauthenticated');
      expectProblem(
        await system.request().post('/auth/refresh').send({ refreshToken: account.refreshToken }),
        401,
        'unauthenticated',
      );
      const refused = await login(account.username, account.password);
      const wrong = await login(account.username, 'not-the-password-1');
      expectProblem(refused, 401, 'invalid-credentials');
      expect(refused.body.detail).to.equal(wrong.body.detail);
      expect((await setStatus(admin.accessToken, account.username, 'DISABLED')).status).to.equal(200);
      const enabled = await setStatus(admin.accessToken, account.username, 'ACTIVE');
      expect(enabled.body).to.deep.equal({ username: account.username, status: 'ACTIVE' });
      expect((await login(account.username, account.password)).status).to.equal(200);
      expectProblem(await listOrders(account.accessToken), 401, 'unauthenticated');
    });

    it('is 403 for a USER whether or not the account exists, 404 for an unknown name, 400 for a bad one', async () => {
      const user = await system.registerAndLogin();
      const victim = await system.registerAndLogin();
      const admin = await system.registerAndLogin('ADMIN');
      for (const name of [victim.username, 'nobody_here', testAdmin.username]) {
        expectProblem(await setStatus(user.accessToken, name, 'DISABLED'), 403, 'forbidden');
      }
      expect((await listOrders(victim.accessToken)).status).to.equal(200);
      expectProblem(await setStatus(admin.accessToken, 'nobody_here', 'DISABLED'), 404, 'not-found');
      expectProblem(await setStatus(admin.accessToken, 'no', 'DISABLED'), 400, 'invalid-request');
      expectProblem(await setStatus(admin.accessToken, victim.username, 'disabled'), 400, 'invalid-request');
      expectProblem(
        await system
          .request()
          .put(`/auth/accounts/${victim.username}/status`)
          .set(bearer(admin.accessToken))
          .send({ status: 'DISABLED', role: 'ADMIN' }),
        400,
        'invalid-request',
      );
      expect((await listOrders(victim.accessToken)).status).to.equal(200);
    });
  });

  describe('logs', () => {
    it('never write a token sent in the query string', async () => {
      const account = await system.registerAndLogin();
      const marker = `redaction-${Date.now()}`;
      for (const query of [
        `access_token=${account.accessToken}`,
        `token=${account.refreshToken}`,
        `refresh_token=${account.refreshToken}`,
        `Access%5FToken=${account.accessToken}`,
        `anything=${account.accessToken}`,
        `${account.accessToken}`,
        `limit=5&access_token=${account.accessToken}&offset=0`,
      ]) {
        await system.request().get(`/orders?${query}`).set('X-Request-Id', marker).set(bearer(account.accessToken));
      }
      await system
        .request()
        .get(`/orders/${account.accessToken}`)
        .set('X-Request-Id', marker)
        .set(bearer(account.accessToken));
      const lines = logLines.filter((line) => (line.req as { id?: string } | undefined)?.id === marker);
      expect(lines).to.have.length(8);
      const text = JSON.stringify(lines);
      for (const secret of [account.accessToken, account.refreshToken]) {
        expect(text).to.not.contain(secret);
        expect(text).to.not.contain(secret.split('.')[2]);
      }
      const urls = lines.map((line) => (line.req as { url: string }).url);
      expect(urls).to.include('/orders?access_token=[redacted]');
      expect(urls).to.include('/orders?limit=5&access_token=[redacted]&offset=0');
      expect(urls).to.include('/orders/[redacted]');
    });
  });
});
