import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { status, type ServiceError } from '@grpc/grpc-js';
import { toDbTime } from '../../common/src/db-time';
import { maxTransactionAttempts } from '../../common/src/sql/types';
import { describeEachDatabase } from '../../common/test/databases';
import { mysqlTestDatabase } from '../../common/test/mysql-behind-proxy';
import { SessionRepository } from '../src/sessions/session-repository';
import { tokenDigest, TokenService } from '../src/sessions/token-service';
import { startTestAuthServer, type TestAuthServer } from './support/auth-server';
import { rejectsAccess, rejectsRefresh, rpc, rpcFails } from './support/rpc';
import { conflictOnSessionInsert } from './support/write-conflicts';

const password = 'gold-bar-99';
const admin = { username: 'race_admin', password: 'race-admin-gold-bar-1' };
const newPassword = 'another-gold-bar-in-the-vault-2026';
const rounds = 8;
let sequence = 0;

/**
 * The rules of the account writes hold by conditional statements, not by row locks
 * (which do not reach across the nodes of a multi-primary cluster): racing calls on two
 * connections, and a session committed "in between" as another node would.
 */
describeEachDatabase('auth-service writes racing each other', (database) => {
  let server: TestAuthServer;

  before(async () => {
    server = await startTestAuthServer(database, { ADMIN_USERNAME: admin.username, ADMIN_PASSWORD: admin.password });
  });
  after(async () => {
    await server?.stop();
    await database.drop();
  });

  async function account() {
    const username = `race_${++sequence}`;
    const { userId } = await rpc(server.client, 'Register', { username, password });
    return { username, userId };
  }

  const login = (username: string, secret = password) => rpc(server.client, 'Login', { username, password: secret });
  /** The pair a racing refresh answered, if it answered one, is refused for access and refresh alike. */
  const rejectsRefreshedPair = async (refreshed: { accessToken: string; refreshToken: string } | ServiceError) => {
    if (refreshed instanceof Error) return;
    await rejectsAccess(server.client, refreshed.accessToken);
    await rejectsRefresh(server.client, refreshed.refreshToken);
  };
  const settled = <T>(call: Promise<T>) =>
    call.then(
      (value) => value,
      (error: ServiceError) => error,
    );

  it('ends a session for good when its logout races its refresh', async () => {
    const { username } = await account();
    for (let round = 0; round < rounds; round++) {
      const tokens = await login(username);
      const [, refreshed] = await Promise.all([
        settled(rpc(server.client, 'Logout', { accessToken: tokens.accessToken })),
        settled(rpc(server.client, 'Refresh', { refreshToken: tokens.refreshToken })),
      ]);
      await rejectsAccess(server.client, tokens.accessToken);
      await rejectsRefreshedPair(refreshed);
    }
  });

  it('leaves no other session valid when a password change races their refreshes', async () => {
    const { username } = await account();
    let current = password;
    for (let round = 0; round < rounds; round++) {
      const keeper = await login(username, current);
      const other = await login(username, current);
      const next = `${newPassword}-${round}`;
      const [changed, refreshed] = await Promise.all([
        settled(
          rpc(server.client, 'ChangePassword', {
            accessToken: keeper.accessToken,
            currentPassword: current,
            newPassword: next,
          }),
        ),
        settled(rpc(server.client, 'Refresh', { refreshToken: other.refreshToken })),
      ]);
      expect(changed).to.not.be.instanceOf(Error);
      current = next;
      await rpc(server.client, 'ValidateToken', { accessToken: keeper.accessToken });
      await rejectsAccess(server.client, other.accessToken);
      await rejectsRefreshedPair(refreshed);
    }
  });

  it('leaves no session valid when logging out everywhere races a refresh of another one', async () => {
    const { username } = await account();
    for (let round = 0; round < rounds; round++) {
      const caller = await login(username);
      const other = await login(username);
      const [, refreshed] = await Promise.all([
        rpc(server.client, 'LogoutAll', { accessToken: caller.accessToken }),
        settled(rpc(server.client, 'Refresh', { refreshToken: other.refreshToken })),
      ]);
      await rejectsAccess(server.client, caller.accessToken);
      await rejectsAccess(server.client, other.accessToken);
      if (!(refreshed instanceof Error)) await rejectsAccess(server.client, refreshed.accessToken);
    }
  });

  it('leaves no session valid, not even once enabled again, when disabling an account races a login and a refresh', async () => {
    const { accessToken: adminToken } = await login(admin.username, admin.password);
    for (let round = 0; round < rounds; round++) {
      const { username } = await account();
      const before = await login(username);
      const [, loggedIn, refreshed] = await Promise.all([
        rpc(server.client, 'DisableAccount', { accessToken: adminToken, username }),
        settled(login(username)),
        settled(rpc(server.client, 'Refresh', { refreshToken: before.refreshToken })),
      ]);
      await rpc(server.client, 'EnableAccount', { accessToken: adminToken, username });
      await rejectsAccess(server.client, before.accessToken);
      for (const pair of [loggedIn, refreshed]) {
        if (pair instanceof Error) continue;
        await rejectsAccess(server.client, pair.accessToken);
        await rejectsRefresh(server.client, pair.refreshToken);
      }
    }
  });

  it('does not let a session opened under the previous access version (another node, in between) outlive a password change', async () => {
    const { username, userId } = await account();
    const keeper = await login(username);
    const [{ access_version: before }] = await server.handle.db.query('select access_version from users where id = ?', [
      userId,
    ]);
    await rpc(server.client, 'ChangePassword', {
      accessToken: keeper.accessToken,
      currentPassword: password,
      newPassword,
    });
    const sessions = new SessionRepository(server.handle.db);
    const tokens = new TokenService(server.config.jwt);
    const open = async (accessVersion: number) => {
      const id = randomUUID();
      const issued = tokens.issue(userId, id);
      const opened = await sessions.insert({
        id,
        userId,
        accessVersion,
        refreshTokenHash: tokenDigest(issued.refreshToken),
        refreshExpiresAt: new Date(issued.refreshExpiresAt * 1000),
        origin: { clientAddress: null, userAgent: null },
        now: new Date(),
      });
      return { opened, ...issued };
    };
    // The service refuses to open it: the password it proved has just been replaced.
    expect((await open(Number(before))).opened).to.equal(false);
    // Committed all the same (by a node that had not seen the change yet): it is not valid.
    const staleId = randomUUID();
    const stale = tokens.issue(userId, staleId);
    const now = toDbTime(new Date());
    await server.handle.db.execute(
      `insert into sessions (id, user_id, refresh_token_hash, refresh_expires_at, last_used_at, created_at, updated_at,
         access_version)
       values (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        staleId,
        userId,
        tokenDigest(stale.refreshToken),
        toDbTime(new Date(stale.refreshExpiresAt * 1000)),
        now,
        now,
        now,
        Number(before),
      ],
    );
    await rejectsAccess(server.client, stale.accessToken);
    await rejectsRefresh(server.client, stale.refreshToken);
    // Under the current version the same row is valid: the version is what ended it.
    const fresh = await open(Number(before) + 1);
    expect(fresh.opened).to.equal(true);
    await rpc(server.client, 'ValidateToken', { accessToken: fresh.accessToken });
    await rpc(server.client, 'ValidateToken', { accessToken: keeper.accessToken });
  });
});

const mysql = mysqlTestDatabase();

(mysql ? describe : describe.skip)('auth-service write conflicts on MariaDB [mysql]', () => {
  let server: TestAuthServer;

  before(async () => {
    server = await startTestAuthServer(mysql!);
  });
  after(async () => {
    await server?.stop();
    await mysql!.drop();
  });

  it('runs a transaction the database aborted as a conflict again, and answers once it is stored', async () => {
    await rpc(server.client, 'Register', { username: 'conflict_once', password });
    const conflicts = await conflictOnSessionInsert(server.handle.db, 2);
    try {
      const tokens = await rpc(server.client, 'Login', { username: 'conflict_once', password });
      await rpc(server.client, 'ValidateToken', { accessToken: tokens.accessToken });
      expect(await conflicts.remaining()).to.equal(-1);
    } finally {
      await conflicts.remove();
    }
  });

  it('answers UNAVAILABLE with retry-after-seconds 1 when the conflict outlives the retries, having stored nothing', async () => {
    const { userId } = await rpc(server.client, 'Register', { username: 'conflict_always', password });
    const conflicts = await conflictOnSessionInsert(server.handle.db, 100);
    try {
      const error = await rpcFails(
        server.client,
        'Login',
        { username: 'conflict_always', password },
        status.UNAVAILABLE,
      );
      expect(error.metadata.get('retry-after-seconds')).to.deep.equal(['1']);
      expect(error.details).to.not.match(/deadlock|sessions|insert/i);
      expect(100 - (await conflicts.remaining()), 'attempts').to.equal(maxTransactionAttempts);
      expect(await server.handle.db.query('select id from sessions where user_id = ?', [userId])).to.deep.equal([]);
    } finally {
      await conflicts.remove();
    }
  });
});
