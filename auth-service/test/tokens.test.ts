import { createHmac, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import jwt from 'jsonwebtoken';
import { describeEachDatabase } from '../../common/test/databases';
import { startTestAuthServer, testEnv, type TestAuthServer } from './support/auth-server';
import { rejectsAccess, rejectsRefresh, rpc, rpcFails } from './support/rpc';

const password = 'gold-bar-99';
let sequence = 0;

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describeEachDatabase('auth-service tokens and sessions', (database) => {
  let server: TestAuthServer;

  before(async () => {
    server = await startTestAuthServer(database);
  });
  after(async () => {
    await server?.stop();
    await database.drop();
  });

  /** A fresh account with one open session. */
  async function session() {
    const username = `tok_${++sequence}`;
    const { userId } = await rpc(server.client, 'Register', { username, password });
    const tokens = await rpc(server.client, 'Login', { username, password });
    const { sessionId } = await rpc(server.client, 'ValidateToken', { accessToken: tokens.accessToken });
    return { username, userId, sessionId, ...tokens };
  }

  /** A token signed with the service's own secret but with claims chosen by the test. */
  function forge(type: 'access' | 'refresh', claims: Record<string, unknown>, options: jwt.SignOptions = {}): string {
    const secret = type === 'access' ? testEnv.JWT_SECRET : testEnv.JWT_REFRESH_SECRET;
    return jwt.sign(claims, secret as string, {
      algorithm: 'HS256',
      issuer: 'aletheia-auth',
      audience: 'aletheia',
      jwtid: randomUUID(),
      ...options,
    });
  }

  describe('ValidateToken', () => {
    it('returns who the token belongs to and when it expires', async () => {
      const before = Math.floor(Date.now() / 1000);
      const s = await session();
      const principal = await rpc(server.client, 'ValidateToken', { accessToken: s.accessToken });
      expect(principal).to.include({ userId: s.userId, username: s.username, role: 'USER', sessionId: s.sessionId });
      expect(principal.sessionId).to.match(/^[0-9a-f-]{36}$/);
      expect(principal.expiresAt).to.be.within(before + 900, Math.floor(Date.now() / 1000) + 900);
    });

    it('never accepts a refresh token as an access token', async () => {
      const s = await session();
      await rejectsAccess(server.client, s.refreshToken);
    });

    it('rejects garbage, an empty token, alg:none, a wrong secret, HS512 and an expired token', async () => {
      const s = await session();
      const claims = { typ: 'access', sid: s.sessionId, sub: s.userId };
      await rejectsAccess(server.client, '');
      await rejectsAccess(server.client, 'not.a.jwt');
      const [header, payload] = s.accessToken.split('.');
      const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`;
      await rejectsAccess(server.client, unsigned);
      await rejectsAccess(server.client, `${header}.${payload}.`);
      await rejectsAccess(
        server.client,
        jwt.sign(claims, 'some-other-secret-of-at-least-32-bytes!', {
          algorithm: 'HS256',
          issuer: 'aletheia-auth',
          audience: 'aletheia',
          jwtid: randomUUID(),
          expiresIn: 60,
        }),
      );
      // Same secret, another HMAC algorithm: refused because verification pins HS256.
      const hs512Header = base64url({ alg: 'HS512', typ: 'JWT' });
      const hs512Signature = createHmac('sha512', testEnv.JWT_SECRET as string)
        .update(`${hs512Header}.${payload}`)
        .digest('base64url');
      await rejectsAccess(server.client, `${hs512Header}.${payload}.${hs512Signature}`);
      await rejectsAccess(server.client, forge('access', { ...claims, exp: Math.floor(Date.now() / 1000) - 10 }));
      // The genuine token still works: only the tampered ones failed.
      await rpc(server.client, 'ValidateToken', { accessToken: s.accessToken });
    });

    it('checks issuer, audience, type and required claims', async () => {
      const s = await session();
      const claims = { typ: 'access', sid: s.sessionId, sub: s.userId };
      // Control: a token forged with the right secret and claims is accepted.
      await rpc(server.client, 'ValidateToken', { accessToken: forge('access', claims, { expiresIn: 60 }) });
      await rejectsAccess(server.client, forge('access', claims, { expiresIn: 60, issuer: 'someone-else' }));
      await rejectsAccess(server.client, forge('access', claims, { expiresIn: 60, audience: 'another-service' }));
      await rejectsAccess(server.client, forge('access', { ...claims, typ: 'refresh' }, { expiresIn: 60 }));
      await rejectsAccess(server.client, forge('access', { sid: s.sessionId, sub: s.userId }, { expiresIn: 60 }));
      await rejectsAccess(server.client, forge('access', claims)); // no exp
      await rejectsAccess(server.client, forge('access', { ...claims, sub: randomUUID() }, { expiresIn: 60 }));
      await rejectsAccess(server.client, forge('access', { ...claims, sid: randomUUID() }, { expiresIn: 60 }));
    });
  });

  describe('Refresh', () => {
    it('rotates: a new pair for the same session, the old refresh token is spent', async () => {
      const s = await session();
      const next = await rpc(server.client, 'Refresh', { refreshToken: s.refreshToken });
      expect(next.tokenType).to.equal('Bearer');
      expect(next.expiresIn).to.equal(900);
      expect(next.refreshToken).to.not.equal(s.refreshToken);
      expect(next.accessToken).to.not.equal(s.accessToken);
      const principal = await rpc(server.client, 'ValidateToken', { accessToken: next.accessToken });
      expect(principal.sessionId).to.equal(s.sessionId);
      const third = await rpc(server.client, 'Refresh', { refreshToken: next.refreshToken });
      await rpc(server.client, 'ValidateToken', { accessToken: third.accessToken });
    });

    it('stores only a SHA-256 digest of the current refresh token', async () => {
      const s = await session();
      const row = (await server.handle.db.query('select * from sessions where id = ?', [s.sessionId]))[0];
      const serialized = JSON.stringify(row);
      expect(serialized).to.not.contain(s.refreshToken);
      expect(serialized).to.not.contain(s.accessToken);
      expect(row.refresh_token_hash).to.match(/^[0-9a-f]{64}$/);
    });

    it('answers the token rotated last, presented again within the grace window, with the very same pair', async () => {
      const s = await session();
      const next = await rpc(server.client, 'Refresh', { refreshToken: s.refreshToken });
      const again = await rpc(server.client, 'Refresh', { refreshToken: s.refreshToken });
      expect(again).to.deep.equal(next);
      // The session lives, and the one current token goes on rotating.
      await rpc(server.client, 'ValidateToken', { accessToken: next.accessToken });
      const third = await rpc(server.client, 'Refresh', { refreshToken: next.refreshToken });
      await rpc(server.client, 'ValidateToken', { accessToken: third.accessToken });
    });

    it('answers two simultaneous refreshes with one token both, with one pair, and the session lives', async () => {
      const s = await session();
      const answers = await Promise.all([
        rpc(server.client, 'Refresh', { refreshToken: s.refreshToken }),
        rpc(server.client, 'Refresh', { refreshToken: s.refreshToken }),
        rpc(server.client, 'Refresh', { refreshToken: s.refreshToken }),
      ]);
      expect(answers[1]).to.deep.equal(answers[0]);
      expect(answers[2]).to.deep.equal(answers[0]);
      const principal = await rpc(server.client, 'ValidateToken', { accessToken: answers[0].accessToken });
      expect(principal.sessionId).to.equal(s.sessionId);
      await rpc(server.client, 'Refresh', { refreshToken: answers[0].refreshToken });
      const row = (await server.handle.db.query('select * from sessions where id = ?', [s.sessionId]))[0];
      expect(row.revoked_at).to.equal(null);
    });

    it('treats a token older than the one rotated last as theft, even within the window: 401 and the whole session revoked', async () => {
      const s = await session();
      const next = await rpc(server.client, 'Refresh', { refreshToken: s.refreshToken });
      const third = await rpc(server.client, 'Refresh', { refreshToken: next.refreshToken });
      const metadata = new Metadata();
      metadata.set('x-request-id', `replay-${s.sessionId}`);
      const replay = await rpc(server.client, 'Refresh', { refreshToken: s.refreshToken }, metadata).catch(
        (error: ServiceError) => error,
      );
      expect(replay).to.have.property('code', status.UNAUTHENTICATED);
      // The caller hears which session ended, to forget what it cached of it.
      expect((replay as ServiceError).metadata.get('ended-session-id')).to.deep.equal([s.sessionId]);
      await rejectsAccess(server.client, third.accessToken);
      await rejectsAccess(server.client, next.accessToken);
      await rejectsRefresh(server.client, third.refreshToken);
      // Within the window the token rotated last no longer helps either: the session has ended.
      await rejectsRefresh(server.client, next.refreshToken);
      const row = (await server.handle.db.query('select * from sessions where id = ?', [s.sessionId]))[0];
      expect(row.revoke_reason).to.equal('refresh_token_reuse');
      expect(row.revoked_at).to.be.a('string');
      const warning = server.logs.find((line) => line.msg === 'refresh token reused: session revoked');
      expect(warning).to.include({ requestId: `replay-${s.sessionId}`, method: 'Refresh', sessionId: s.sessionId });
    });

    it('refuses a disabled account’s refresh without revoking anything more', async () => {
      const s = await session();
      await server.handle.db.execute('update users set disabled_at = ? where id = ?', [
        '2026-01-01 00:00:00.000',
        s.userId,
      ]);
      const refused = await rejectsRefresh(server.client, s.refreshToken);
      expect(refused.metadata.get('ended-session-id')).to.deep.equal([]);
      const row = (await server.handle.db.query('select * from sessions where id = ?', [s.sessionId]))[0];
      expect(row.revoked_at).to.equal(null);
    });

    it('never accepts an access token as a refresh token', async () => {
      const s = await session();
      await rejectsRefresh(server.client, s.accessToken);
      // The session is untouched by the attempt.
      await rpc(server.client, 'Refresh', { refreshToken: s.refreshToken });
    });

    it('rejects forged, expired and malformed refresh tokens without touching the session', async () => {
      const s = await session();
      const claims = { typ: 'refresh', sid: s.sessionId, sub: s.userId };
      await rejectsRefresh(server.client, '');
      await rejectsRefresh(server.client, 'x.y.z');
      await rejectsRefresh(server.client, forge('refresh', { ...claims, exp: Math.floor(Date.now() / 1000) - 10 }));
      await rejectsRefresh(server.client, forge('refresh', { ...claims, typ: 'access' }, { expiresIn: 60 }));
      await rejectsRefresh(
        server.client,
        jwt.sign(claims, testEnv.JWT_SECRET as string, {
          algorithm: 'HS256',
          issuer: 'aletheia-auth',
          audience: 'aletheia',
          jwtid: randomUUID(),
          expiresIn: 60,
        }),
      );
      // A well-signed token that is not the session's current one is reuse: the session ends.
      await rejectsRefresh(server.client, forge('refresh', claims, { expiresIn: 60 }));
      await rejectsAccess(server.client, s.accessToken);
    });
  });

  describe('Refresh after the grace window (REFRESH_GRACE_SECONDS=1)', () => {
    let shortGrace: TestAuthServer;
    before(async () => {
      shortGrace = await startTestAuthServer(server.config.database, { REFRESH_GRACE_SECONDS: '1' });
    });
    after(() => shortGrace?.stop());

    it('treats the token rotated last as theft once its window has passed: 401 and the session revoked', async () => {
      const username = `grace_${++sequence}`;
      await rpc(shortGrace.client, 'Register', { username, password });
      const tokens = await rpc(shortGrace.client, 'Login', { username, password });
      const next = await rpc(shortGrace.client, 'Refresh', { refreshToken: tokens.refreshToken });
      // Within the window: the same pair.
      expect(await rpc(shortGrace.client, 'Refresh', { refreshToken: tokens.refreshToken })).to.deep.equal(next);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await rpcFails(shortGrace.client, 'Refresh', { refreshToken: tokens.refreshToken }, status.UNAUTHENTICATED);
      await rpcFails(shortGrace.client, 'ValidateToken', { accessToken: next.accessToken }, status.UNAUTHENTICATED);
      await rpcFails(shortGrace.client, 'Refresh', { refreshToken: next.refreshToken }, status.UNAUTHENTICATED);
    });
  });

  describe('Logout', () => {
    it('ends the session at once: its access and refresh tokens are rejected', async () => {
      const s = await session();
      const response = await rpc(server.client, 'Logout', { accessToken: s.accessToken });
      expect(response).to.deep.equal({});
      await rejectsAccess(server.client, s.accessToken);
      await rejectsRefresh(server.client, s.refreshToken);
      const row = (await server.handle.db.query('select * from sessions where id = ?', [s.sessionId]))[0];
      expect(row.revoke_reason).to.equal('logout');
    });

    it('is UNAUTHENTICATED for an ended session, a refresh token or a bad token', async () => {
      const s = await session();
      await rpc(server.client, 'Logout', { accessToken: s.accessToken });
      await rpcFails(server.client, 'Logout', { accessToken: s.accessToken }, status.UNAUTHENTICATED);
      const other = await session();
      await rpcFails(server.client, 'Logout', { accessToken: other.refreshToken }, status.UNAUTHENTICATED);
      await rpcFails(server.client, 'Logout', { accessToken: 'garbage' }, status.UNAUTHENTICATED);
      await rpc(server.client, 'ValidateToken', { accessToken: other.accessToken });
    });
  });
});
