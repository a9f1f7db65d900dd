import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Metadata, status } from '@grpc/grpc-js';
import jwt from 'jsonwebtoken';
import pino from 'pino';
import type { DatabaseConfig } from '../../common/src/config';
import { toDbTime } from '../../common/src/db-time';
import { authServiceName } from '../../common/src/proto';
import { describeEachDatabase } from '../../common/test/databases';
import { Purger } from '../src/purger';
import { SessionRepository } from '../src/sessions/session-repository';
import { startTestAuthServer, type TestAuthServer } from './support/auth-server';
import { rpc, rpcFails } from './support/rpc';
import { healthStatus, reflect } from './support/standard-services';
import { SwitchableDatabase } from './support/switchable-database';

const password = 'gold-bar-99';

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) expect.fail('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeEachDatabase('auth-service operations', (database) => {
  let server: TestAuthServer;

  before(async () => {
    server = await startTestAuthServer(database);
  });
  after(async () => {
    await server?.stop();
    await database.drop();
  });

  it('reports SERVING on grpc.health.v1 for the server and for AuthService', async () => {
    expect(await healthStatus(server.handle.address)).to.equal('SERVING');
    expect(await healthStatus(server.handle.address, authServiceName)).to.equal('SERVING');
  });

  it('lists aletheia.auth.v1.AuthService (and the health service) over server reflection and serves its descriptor', async () => {
    const listed = await reflect(server.handle.address, { list_services: '' });
    const names = listed.list_services_response?.service.map((service) => service.name);
    expect(names).to.include.members([authServiceName, 'grpc.health.v1.Health']);
    const file = await reflect(server.handle.address, { file_containing_symbol: authServiceName });
    expect(file.error_response).to.equal(undefined);
    const descriptors = file.file_descriptor_response?.file_descriptor_proto ?? [];
    expect(descriptors.length).to.be.greaterThan(0);
    expect(Buffer.concat(descriptors).toString('latin1')).to.contain('ValidateToken');
  });

  it('logs one line per call with method, code, duration and request id, and no secrets', async () => {
    const username = 'log_user';
    const metadata = new Metadata();
    metadata.set('x-request-id', 'req-1234-abcd');
    await rpc(server.client, 'Register', { username, password }, metadata);
    const tokens = await rpc(server.client, 'Login', { username, password });
    await rpcFails(server.client, 'Login', { username, password: 'wrong-pass-7' }, status.UNAUTHENTICATED);
    await rpc(server.client, 'Refresh', { refreshToken: tokens.refreshToken });

    const register = server.logs.find((line) => line.requestId === 'req-1234-abcd');
    expect(register).to.include({ method: 'Register', code: 'OK', msg: 'grpc call' });
    expect(register?.durationMs).to.be.a('number');
    expect(server.logs.some((line) => line.method === 'Login' && line.code === 'UNAUTHENTICATED')).to.equal(true);
    const [{ password_hash: hash }] = (await server.handle.db.query(
      'select password_hash from users where username = ?',
      [username],
    )) as Array<{
      password_hash: string;
    }>;
    const everything = JSON.stringify(server.logs);
    for (const secret of [password, 'wrong-pass-7', tokens.accessToken, tokens.refreshToken, hash]) {
      expect(everything).to.not.contain(secret);
    }
  });

  it('purges sessions whose refresh token has expired, and only those', async () => {
    await rpc(server.client, 'Register', { username: 'purge_user', password });
    const live = await rpc(server.client, 'Login', { username: 'purge_user', password });
    const expired = await rpc(server.client, 'Login', { username: 'purge_user', password });
    // Read the session id from the token itself: validating it would put it in the replica's cache.
    const { sid: sessionId } = jwt.decode(expired.accessToken) as { sid: string };
    await server.handle.db.execute('update sessions set refresh_expires_at = ? where id = ?', [
      toDbTime(new Date(Date.now() - 1000)),
      sessionId,
    ]);

    const rows = new SessionRepository(server.handle.db);
    const purger = new Purger(
      'expired sessions',
      (now, batch) => rows.deleteExpired(now, batch),
      pino({ level: 'silent' }),
    );
    expect(await purger.purge()).to.equal(1);
    expect(await server.handle.db.query('select id from sessions where id = ?', [sessionId])).to.have.length(0);
    await rpcFails(server.client, 'ValidateToken', { accessToken: expired.accessToken }, status.UNAUTHENTICATED);
    await rpc(server.client, 'ValidateToken', { accessToken: live.accessToken });
  });
});

describeEachDatabase('auth-service replicas sharing a database', (database) => {
  let config: DatabaseConfig;
  const replicas: TestAuthServer[] = [];
  const replica = async (env: NodeJS.ProcessEnv) => {
    const server = await startTestAuthServer(config, env);
    replicas.push(server);
    return server;
  };

  before(async () => {
    config = await database.create();
  });
  after(async () => {
    await Promise.all(replicas.map((server) => server.stop()));
    await database.drop();
  });

  it('sees a logout made on another replica once SESSION_CACHE_TTL_MS has passed, at once with 0', async () => {
    const cacheTtlMs = 400;
    const first = await replica({ SESSION_CACHE_TTL_MS: String(cacheTtlMs) });
    const cached = await replica({ SESSION_CACHE_TTL_MS: String(cacheTtlMs) });
    const uncached = await replica({ SESSION_CACHE_TTL_MS: '0' });
    await rpc(first.client, 'Register', { username: 'replica_user', password });
    const tokens = await rpc(first.client, 'Login', { username: 'replica_user', password });
    await rpc(cached.client, 'ValidateToken', { accessToken: tokens.accessToken });
    await rpc(uncached.client, 'ValidateToken', { accessToken: tokens.accessToken });

    await rpc(first.client, 'Logout', { accessToken: tokens.accessToken });
    await rpcFails(first.client, 'ValidateToken', { accessToken: tokens.accessToken }, status.UNAUTHENTICATED);
    await rpcFails(uncached.client, 'ValidateToken', { accessToken: tokens.accessToken }, status.UNAUTHENTICATED);
    // The cached replica's entry was made before the logout, so it has expired once the TTL
    // has passed since (a little more: a timer may fire a millisecond early by the wall clock).
    await new Promise((resolve) => setTimeout(resolve, cacheTtlMs + 20));
    await rpcFails(cached.client, 'ValidateToken', { accessToken: tokens.accessToken }, status.UNAUTHENTICATED);
  });
});

describeEachDatabase('auth-service on a unix socket', (database) => {
  let server: TestAuthServer;
  let directory: string;

  before(async () => {
    directory = mkdtempSync(path.join(os.tmpdir(), 'aletheia-socket-'));
    server = await startTestAuthServer(database, { AUTH_GRPC_ADDRESS: `unix:${path.join(directory, 'auth.sock')}` });
  });
  after(async () => {
    await server?.stop();
    await database.drop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('listens on AUTH_GRPC_ADDRESS=unix:/path and serves calls there', async () => {
    expect(server.handle.address).to.equal(`unix:${path.join(directory, 'auth.sock')}`);
    await rpc(server.client, 'Register', { username: 'socket_user', password });
    const tokens = await rpc(server.client, 'Login', { username: 'socket_user', password });
    await rpc(server.client, 'ValidateToken', { accessToken: tokens.accessToken });
    expect(await healthStatus(server.handle.address)).to.equal('SERVING');
  });
});

describeEachDatabase('auth-service without its database', (database) => {
  let server: TestAuthServer;
  let db: SwitchableDatabase;

  before(async () => {
    server = await startTestAuthServer(database, {}, (config) => {
      db = new SwitchableDatabase(config);
      return db;
    });
    await rpc(server.client, 'Register', { username: 'outage_user', password });
  });
  after(async () => {
    await server?.stop();
    await database.drop();
  });

  it('goes NOT_SERVING and answers UNAVAILABLE while the database is gone, and recovers', async () => {
    const tokens = await rpc(server.client, 'Login', { username: 'outage_user', password });
    await db.goDown();

    const down = await rpcFails(
      server.client,
      'ValidateToken',
      { accessToken: tokens.accessToken },
      status.UNAVAILABLE,
    );
    expect(down.details).to.not.match(/select|sessions|users/i);
    await rpcFails(server.client, 'Login', { username: 'outage_user', password }, status.UNAVAILABLE);
    await eventually(async () => (await healthStatus(server.handle.address)) === 'NOT_SERVING');
    expect(await healthStatus(server.handle.address, authServiceName)).to.equal('NOT_SERVING');

    db.comeBack();
    await eventually(async () => (await healthStatus(server.handle.address)) === 'SERVING');
    await rpc(server.client, 'ValidateToken', { accessToken: tokens.accessToken });
  });
});

describeEachDatabase('auth-service admin bootstrap', (database) => {
  let config: DatabaseConfig;

  before(async () => {
    config = await database.create();
  });
  after(async () => {
    await database.drop();
  });

  it('creates the ADMIN_USERNAME account as ADMIN at start-up', async () => {
    const server = await startTestAuthServer(config, { ADMIN_USERNAME: 'root_admin', ADMIN_PASSWORD: 'admin-pass-1' });
    try {
      const tokens = await rpc(server.client, 'Login', { username: 'root_admin', password: 'admin-pass-1' });
      const principal = await rpc(server.client, 'ValidateToken', { accessToken: tokens.accessToken });
      expect(principal).to.include({ username: 'root_admin', role: 'ADMIN' });
    } finally {
      await server.stop();
    }
  });

  it('promotes a registered account of that name and takes it over: its password is set and its sessions end', async () => {
    const first = await startTestAuthServer(config);
    let squatter;
    try {
      await rpc(first.client, 'Register', { username: 'Boss_Admin', password });
      squatter = await rpc(first.client, 'Login', { username: 'Boss_Admin', password });
    } finally {
      await first.stop();
    }
    const second = await startTestAuthServer(config, { ADMIN_USERNAME: 'boss_admin', ADMIN_PASSWORD: 'admin-pass-2' });
    try {
      await rpcFails(second.client, 'ValidateToken', { accessToken: squatter.accessToken }, status.UNAUTHENTICATED);
      await rpcFails(second.client, 'Login', { username: 'Boss_Admin', password }, status.UNAUTHENTICATED);
      const tokens = await rpc(second.client, 'Login', { username: 'boss_admin', password: 'admin-pass-2' });
      const principal = await rpc(second.client, 'ValidateToken', { accessToken: tokens.accessToken });
      expect(principal).to.include({ username: 'Boss_Admin', role: 'ADMIN' });
    } finally {
      await second.stop();
    }
    // A restart with the same settings changes nothing and ends no session.
    const third = await startTestAuthServer(config, { ADMIN_USERNAME: 'boss_admin', ADMIN_PASSWORD: 'admin-pass-2' });
    try {
      const tokens = await rpc(third.client, 'Login', { username: 'boss_admin', password: 'admin-pass-2' });
      const again = await startTestAuthServer(config, { ADMIN_USERNAME: 'boss_admin', ADMIN_PASSWORD: 'admin-pass-2' });
      await again.stop();
      await rpc(third.client, 'ValidateToken', { accessToken: tokens.accessToken });
    } finally {
      await third.stop();
    }
  });
});
