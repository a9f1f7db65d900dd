import { expect } from 'chai';
import { status, type ServiceError } from '@grpc/grpc-js';
import { describeEachDatabase } from '../../common/test/databases';
import { asClient, startTestAuthServer, type TestAuthServer } from './support/auth-server';
import { rpc, rpcFails } from './support/rpc';

const password = 'gold-bar-99';
const admin = { username: 'ops_admin', password: 'Vault-ops-2026' };
let sequence = 0;
const newUsername = (prefix = 'acct') => `${prefix}_${process.pid % 1000}_${++sequence}`;

describeEachDatabase('auth-service: sessions and account controls', (database) => {
  let server: TestAuthServer;
  before(async () => {
    // A session cache as in production: every change below must show at once on this replica all the same.
    server = await startTestAuthServer(database, {
      ADMIN_USERNAME: admin.username,
      ADMIN_PASSWORD: admin.password,
      SESSION_CACHE_TTL_MS: '60000',
    });
  });
  after(async () => {
    await server?.stop();
    await database.drop();
  });

  const login = (username: string, secret = password, client = '198.51.100.20') =>
    rpc(server.client, 'Login', { username, password: secret }, asClient(client));
  const validate = (accessToken: string) => rpc(server.client, 'ValidateToken', { accessToken });
  const rejected = (accessToken: string) =>
    rpcFails(server.client, 'ValidateToken', { accessToken }, status.UNAUTHENTICATED);

  /** An account with `count` sessions, each of them validated once (so the session cache holds it). */
  async function account(count = 1) {
    const username = newUsername();
    const { userId } = await rpc(server.client, 'Register', { username, password });
    const sessions = [];
    for (let i = 0; i < count; i += 1) {
      const tokens = await login(username);
      const { sessionId } = await validate(tokens.accessToken);
      sessions.push({ ...tokens, sessionId });
    }
    return { username, userId, sessions };
  }

  describe('ChangePassword', () => {
    it('changes the password, ends every other session at once and keeps the caller’s', async () => {
      const { username, userId, sessions } = await account(3);
      const [current, ...others] = sessions;
      const answer = await rpc(server.client, 'ChangePassword', {
        accessToken: current.accessToken,
        currentPassword: password,
        newPassword: '새 비밀번호는 길고 안전하다',
      });
      expect(answer).to.deep.equal({ userId, keptSessionId: current.sessionId });
      await validate(current.accessToken);
      await rpc(server.client, 'Refresh', { refreshToken: current.refreshToken });
      for (const other of others) {
        await rejected(other.accessToken);
        await rpcFails(server.client, 'Refresh', { refreshToken: other.refreshToken }, status.UNAUTHENTICATED);
      }
      await rpcFails(server.client, 'Login', { username, password }, status.UNAUTHENTICATED, asClient('198.51.100.21'));
      await login(username, '새 비밀번호는 길고 안전하다');
      const reasons = (
        await server.handle.db.query('select revoke_reason from sessions where user_id = ?', [userId])
      ).map((row) => row.revoke_reason);
      expect(reasons.filter((reason) => reason === 'password_change')).to.have.length(2);
    });

    it('answers a wrong current password UNAUTHENTICATED, ends nothing and counts it like a failed login', async () => {
      const { username, sessions } = await account(2);
      const attempt = (currentPassword: string) =>
        rpc(
          server.client,
          'ChangePassword',
          { accessToken: sessions[0].accessToken, currentPassword, newPassword: 'brand-new-pass-1' },
          asClient('203.0.113.90'),
        ).catch((error: ServiceError) => error);
      // LOGIN_MAX_FAILURES=3 in the test servers: the third wrong guess gets the client refused for the account.
      for (let i = 0; i < 3; i += 1)
        expect(await attempt('wrong-pass-1')).to.have.property('code', status.UNAUTHENTICATED);
      const refused = (await attempt(password)) as ServiceError;
      expect(refused.code).to.equal(status.RESOURCE_EXHAUSTED);
      expect(refused.metadata.get('refusal-reason')).to.deep.equal(['too-many-login-failures']);
      await validate(sessions[1].accessToken);
      // The owner elsewhere is not affected.
      await login(username, password, '198.51.100.22');
    });

    it('refuses a weak new password before checking anything (INVALID_ARGUMENT)', async () => {
      const { username, sessions } = await account();
      for (const [newPassword, reason] of [
        ['short', /at least 8/],
        ['Password1', /10,000 most common/],
        [username.toUpperCase(), /username/],
        ['금'.repeat(129), /at most 128/],
      ] as const) {
        const error = await rpcFails(
          server.client,
          'ChangePassword',
          { accessToken: sessions[0].accessToken, currentPassword: 'not-even-checked', newPassword },
          status.INVALID_ARGUMENT,
        );
        expect(error.details).to.match(reason);
      }
      await login(username);
    });

    it('needs a live access token', async () => {
      const { sessions } = await account();
      await rpc(server.client, 'Logout', { accessToken: sessions[0].accessToken });
      for (const accessToken of [sessions[0].accessToken, sessions[0].refreshToken, 'garbage']) {
        await rpcFails(
          server.client,
          'ChangePassword',
          { accessToken, currentPassword: password, newPassword: 'brand-new-pass-1' },
          status.UNAUTHENTICATED,
        );
      }
    });
  });

  describe('ListSessions, EndSession, LogoutAll', () => {
    it('lists the live sessions of the caller only, the current one marked, with where they came from', async () => {
      const { sessions } = await account(3);
      const other = await account(1);
      await rpc(server.client, 'Logout', { accessToken: sessions[2].accessToken });
      const { sessions: listed } = await rpc(server.client, 'ListSessions', { accessToken: sessions[0].accessToken });
      expect(listed.map((s) => s.id).sort()).to.deep.equal([sessions[0].sessionId, sessions[1].sessionId].sort());
      expect(listed.find((s) => s.current)?.id).to.equal(sessions[0].sessionId);
      expect(listed.filter((s) => s.current)).to.have.length(1);
      for (const entry of listed) {
        expect(entry.clientAddress).to.equal('198.51.100.20');
        expect(entry.createdAtMs).to.be.a('number').above(0);
        expect(entry.lastUsedAtMs).to.be.at.least(entry.createdAtMs);
        expect(JSON.stringify(entry)).to.not.contain(sessions[0].refreshToken);
      }
      expect(listed.map((s) => s.id)).to.not.include(other.sessions[0].sessionId);
    });

    it('ends one own session at once; another account’s session or an unknown id is NOT_FOUND and untouched', async () => {
      const { sessions } = await account(2);
      const other = await account(1);
      await rpc(server.client, 'EndSession', {
        accessToken: sessions[0].accessToken,
        sessionId: sessions[1].sessionId,
      });
      await rejected(sessions[1].accessToken);
      await validate(sessions[0].accessToken);
      await rpcFails(
        server.client,
        'EndSession',
        { accessToken: sessions[0].accessToken, sessionId: other.sessions[0].sessionId },
        status.NOT_FOUND,
      );
      await validate(other.sessions[0].accessToken);
      for (const sessionId of [sessions[1].sessionId, '01900000-0000-7000-8000-000000000000', 'not-a-uuid']) {
        await rpcFails(
          server.client,
          'EndSession',
          { accessToken: sessions[0].accessToken, sessionId },
          status.NOT_FOUND,
        );
      }
    });

    it('LogoutAll ends every session of the account at once, the caller’s included, and no other account’s', async () => {
      const { sessions } = await account(3);
      const other = await account(1);
      await rpc(server.client, 'LogoutAll', { accessToken: sessions[1].accessToken });
      for (const session of sessions) {
        await rejected(session.accessToken);
        await rpcFails(server.client, 'Refresh', { refreshToken: session.refreshToken }, status.UNAUTHENTICATED);
      }
      await validate(other.sessions[0].accessToken);
    });
  });

  describe('DisableAccount and EnableAccount', () => {
    async function adminToken(): Promise<string> {
      return (await login(admin.username, admin.password)).accessToken;
    }

    it('disables an account: its sessions end at once, it cannot log in (answered like a wrong password) or refresh', async () => {
      const { username, userId, sessions } = await account(2);
      const answer = await rpc(server.client, 'DisableAccount', {
        accessToken: await adminToken(),
        username: username.toUpperCase(),
      });
      expect(answer).to.deep.equal({ userId, username });
      for (const session of sessions) {
        await rejected(session.accessToken);
        await rpcFails(server.client, 'Refresh', { refreshToken: session.refreshToken }, status.UNAUTHENTICATED);
      }
      const disabledLogin = await rpcFails(
        server.client,
        'Login',
        { username, password },
        status.UNAUTHENTICATED,
        asClient('198.51.100.30'),
      );
      const wrongLogin = await rpcFails(
        server.client,
        'Login',
        { username: newUsername('ghost'), password },
        status.UNAUTHENTICATED,
        asClient('198.51.100.31'),
      );
      expect(disabledLogin.details).to.equal(wrongLogin.details);
      expect(disabledLogin.metadata.getMap()).to.deep.equal(wrongLogin.metadata.getMap());

      await rpc(server.client, 'EnableAccount', { accessToken: await adminToken(), username });
      await login(username, password, '198.51.100.32');
      // Enabling brings no ended session back.
      await rejected(sessions[0].accessToken);
    });

    it('is PERMISSION_DENIED for a USER (whether or not the account exists) and NOT_FOUND for an unknown name', async () => {
      const { sessions } = await account(1);
      const victim = await account(1);
      for (const method of ['DisableAccount', 'EnableAccount'] as const) {
        for (const username of [victim.username, 'nobody_at_all']) {
          await rpcFails(
            server.client,
            method,
            { accessToken: sessions[0].accessToken, username },
            status.PERMISSION_DENIED,
          );
        }
        await rpcFails(
          server.client,
          method,
          { accessToken: await adminToken(), username: 'nobody_at_all' },
          status.NOT_FOUND,
        );
      }
      await validate(victim.sessions[0].accessToken);
    });
  });
});
