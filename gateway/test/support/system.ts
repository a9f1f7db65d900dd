import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import supertest from 'supertest';
import { expect } from 'chai';
import type { Knex } from 'knex';
import type { DatabaseConfig } from '../../../common/src/config';
import { createDatabase } from '../../../common/src/database';
import { createLogger, type Logger } from '../../../common/src/logger';
import { loadAuthService } from '../../../common/src/proto';
import { testDatabases, type TestDatabase } from '../../../common/test/databases';
import { loadAuthConfig } from '../../../auth-service/src/config';
import { startAuthService, type AuthServiceHandle } from '../../../auth-service/src/service';
import { loadGatewayConfig } from '../../src/config';
import { startGateway, type GatewayHandle } from '../../src/server';
import { createApiClient, type ApiClient } from './client';
import { TcpProxy } from './tcp-proxy';

export interface TestAccount {
  userId: string;
  username: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

export interface TestSystem {
  gateway: GatewayHandle;
  /** A Knex of the test's own on the gateway's database, to look at the rows behind the API. */
  ordersDb: Knex;
  /** The running auth service (replaced by `startAuth()` after `stopAuth()`). */
  auth: AuthServiceHandle;
  /** supertest on the gateway's URL. */
  request(): ReturnType<typeof supertest>;
  /** The generated openapi-fetch client on the gateway's URL. */
  client: ApiClient;
  /** Registers a fresh USER and logs it in; for ADMIN, logs in the administrator the auth service bootstrapped. */
  registerAndLogin(role?: 'USER' | 'ADMIN'): Promise<TestAccount>;
  /** Stops the auth service (its database stays), to see the gateway without it. */
  stopAuth(): Promise<void>;
  /** Starts the auth service again on the same port and database. */
  startAuth(): Promise<void>;
  /**
   * Makes the orders database unavailable to the gateway for real until `end()`: MySQL
   * through a proxy that drops and refuses connections; the embedded SQLite file by
   * holding its one connection, so every other statement times out waiting for it.
   * Needs `{ ordersOutages: true }` at start.
   */
  ordersOutage(): Promise<{ end(): Promise<void> }>;
  stop(): Promise<void>;
}

/** The administrator the auth service creates at start-up from ADMIN_USERNAME/ADMIN_PASSWORD. */
export const testAdmin = { username: 'admin_root', password: 'Admin-pass-2026' } as const;

/** Knex-independent URL for a test database, as the programs' configuration reads it. */
export function databaseUrl(config: DatabaseConfig): string {
  if (config.client === 'sqlite') return `sqlite:${config.filename}`;
  const credentials = `${encodeURIComponent(config.user)}${config.password ? `:${encodeURIComponent(config.password)}` : ''}`;
  const hosts = config.hosts.map((server) => `${server.host}:${server.port}`).join(',');
  return `mysql://${credentials}@${hosts}/${config.database}`;
}

function siblingDatabase(database: TestDatabase): TestDatabase {
  const sibling = testDatabases()
    .map((target) => target())
    .find((candidate) => candidate.kind === database.kind);
  if (!sibling) throw new Error(`no ${database.kind} test database configured`);
  return sibling;
}

/** Unexpected failures (500s, including responses that break the contract) are printed; set TEST_LOG_LEVEL for more. */
function testLogger(name: string): Logger {
  return createLogger(name, process.env.TEST_LOG_LEVEL ?? 'error');
}

/** Asks the real auth service who an access token belongs to (the REST API does not say). */
function userIdOf(address: string, accessToken: string): Promise<string> {
  const AuthService = loadAuthService();
  const client = new AuthService(address, grpc.credentials.createInsecure());
  return new Promise<string>((resolve, reject) => {
    client.validateToken({ accessToken }, { deadline: Date.now() + 5000 }, (error, answer) => {
      client.close();
      if (error || !answer) reject(error ?? new Error('no answer'));
      else resolve(answer.userId);
    });
  });
}

/**
 * A real auth service (gRPC, free port, fresh database) and a real gateway (HTTP, free
 * port, fresh database of the same kind, NODE_ENV=test so every response is checked
 * against openapi.yaml). `overrides` go to both programs' environment.
 */
export async function startSystem(
  database: TestDatabase,
  overrides: NodeJS.ProcessEnv = {},
  options: { ordersOutages?: boolean; gatewayLogger?: Logger } = {},
): Promise<TestSystem> {
  const authDatabase = siblingDatabase(database);
  const [ordersConfig, authDbConfig] = await Promise.all([database.create(), authDatabase.create()]);
  const proxy =
    options.ordersOutages && ordersConfig.client === 'mysql' ? await TcpProxy.start(ordersConfig.hosts[0]) : undefined;
  const gatewayDatabase: DatabaseConfig =
    proxy && ordersConfig.client === 'mysql'
      ? { ...ordersConfig, hosts: [{ host: '127.0.0.1', port: proxy.port }] }
      : ordersConfig;
  const authEnv: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    AUTH_GRPC_HOST: '127.0.0.1',
    AUTH_GRPC_PORT: '0',
    AUTH_DATABASE_URL: databaseUrl(authDbConfig),
    JWT_SECRET: 'test-access-secret-of-at-least-32-characters',
    JWT_REFRESH_SECRET: 'test-refresh-secret-of-at-least-32-characters',
    BCRYPT_COST: '4',
    // Suites about other things call from one address at full speed; the abuse suites set real shares.
    AUTH_CLIENT_MAX_IN_FLIGHT: '1000',
    AUTH_CLIENT_MAX_HASHES_PER_MINUTE: '1000000',
    ADMIN_USERNAME: testAdmin.username,
    ADMIN_PASSWORD: testAdmin.password,
    ...overrides,
  };
  let auth = await startAuthService(loadAuthConfig(authEnv), testLogger('auth-service'));
  const authPort = auth.port;
  let gateway: GatewayHandle;
  try {
    gateway = await startGateway(
      loadGatewayConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        API_PORT: '0',
        AUTH_GRPC_ADDRESS: auth.address,
        ORDERS_DATABASE_URL: databaseUrl(gatewayDatabase),
        // A held connection is a quick 503, not a 5 s wait per request.
        ...(options.ordersOutages ? { API_DB_ACQUIRE_TIMEOUT_MS: '300' } : {}),
        ...overrides,
      }),
      options.gatewayLogger ?? testLogger('gateway'),
    );
  } catch (error) {
    await auth.stop();
    await proxy?.cut();
    await Promise.all([database.drop(), authDatabase.drop()]);
    throw error;
  }
  const ordersDb = createDatabase(ordersConfig);
  const client = createApiClient(gateway.url);
  const request = () => supertest(gateway.url);
  let authRunning = true;

  const system: TestSystem = {
    gateway,
    ordersDb,
    auth,
    request,
    client,
    async registerAndLogin(role = 'USER') {
      let username: string = testAdmin.username;
      let password: string = testAdmin.password;
      if (role === 'USER') {
        username = `u_${randomBytes(6).toString('hex')}`;
        password = `Pw-${randomBytes(6).toString('hex')}-9`;
        const registered = await request().post('/auth/register').send({ username, password });
        expect(registered.status, JSON.stringify(registered.body)).to.equal(204);
      }
      const login = await request().post('/auth/login').send({ username, password });
      expect(login.status, JSON.stringify(login.body)).to.equal(200);
      const { accessToken, refreshToken } = login.body as { accessToken: string; refreshToken: string };
      return {
        userId: await userIdOf(system.auth.address, accessToken),
        username,
        password,
        accessToken,
        refreshToken,
      };
    },
    async stopAuth() {
      if (!authRunning) return;
      authRunning = false;
      await system.auth.stop();
    },
    async startAuth() {
      if (authRunning) return;
      auth = await startAuthService(
        loadAuthConfig({ ...authEnv, AUTH_GRPC_PORT: String(authPort) }),
        testLogger('auth-service'),
      );
      system.auth = auth;
      authRunning = true;
    },
    async ordersOutage() {
      if (!options.ordersOutages) throw new Error('start the system with { ordersOutages: true }');
      if (proxy) {
        await proxy.cut();
        return { end: () => proxy.restore() };
      }
      let release = () => {};
      let holder: Promise<void> | undefined;
      await new Promise<void>((held) => {
        holder = gateway.db.transaction(
          () =>
            new Promise<void>((done) => {
              release = done;
              held();
            }),
        );
      });
      return {
        async end() {
          release();
          await holder;
        },
      };
    },
    async stop() {
      await ordersDb.destroy();
      await gateway.stop();
      await proxy?.cut();
      if (authRunning) await system.auth.stop();
      authRunning = false;
      await Promise.all([database.drop(), authDatabase.drop()]);
    },
  };
  return system;
}
