import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import type { DatabaseConfig } from '../../../common/src/config';
import { loadAuthService, type AuthServiceClient } from '../../../common/src/proto';
import type { SqlDatabase } from '../../../common/src/sql/types';
import type { TestDatabase } from '../../../common/test/databases';
import { loadAuthConfig, type AuthConfig } from '../../src/config';
import { startAuthService, type AuthServiceHandle } from '../../src/service';

/** The settings every test server starts from: cheap hashing, a quick lockout, any free port. */
export const testEnv: NodeJS.ProcessEnv = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  AUTH_GRPC_HOST: '127.0.0.1',
  AUTH_GRPC_PORT: '0',
  BCRYPT_COST: '4',
  LOGIN_MAX_FAILURES: '3',
  LOGIN_LOCK_SECONDS: '2',
  JWT_SECRET: 'test-access-secret-of-at-least-32-bytes!!',
  JWT_REFRESH_SECRET: 'test-refresh-secret-of-at-least-32-bytes!',
  AUTH_HEALTH_CHECK_INTERVAL_MS: '100',
  AUTH_GATEWAY_SECRET: 'test-gateway-secret-of-at-least-32-bytes',
  PASSWORD_PEPPER: 'test-password-pepper-of-at-least-32-bytes',
  // Suites about other things call from one address at full speed; the abuse suites set real shares.
  AUTH_CLIENT_MAX_IN_FLIGHT: '1000',
  AUTH_CLIENT_MAX_HASHES_PER_MINUTE: '1000000',
};

/** Metadata as the gateway sends it for a client at `address` (with the shared secret). */
export function asClient(address: string, secret = testEnv.AUTH_GATEWAY_SECRET as string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('x-client-address', address);
  metadata.set('x-gateway-secret', secret);
  return metadata;
}

export interface TestAuthServer {
  handle: AuthServiceHandle;
  config: AuthConfig;
  client: AuthServiceClient;
  /** Every log line the server wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export function authClient(address: string): AuthServiceClient {
  const AuthService = loadAuthService();
  return new AuthService(address, grpc.credentials.createInsecure());
}

/** A real auth service on a free port over `database` (created here unless given), with a real client. */
export async function startTestAuthServer(
  database: TestDatabase | DatabaseConfig,
  env: NodeJS.ProcessEnv = {},
  openDatabase?: (config: DatabaseConfig) => SqlDatabase,
): Promise<TestAuthServer> {
  const databaseConfig = 'client' in database ? database : await database.create();
  const config = { ...loadAuthConfig({ ...testEnv, ...env }), database: databaseConfig };
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const handle = await startAuthService(
    config,
    pino({ level: config.logLevel }, sink),
    openDatabase && (() => openDatabase(databaseConfig)),
  );
  const client = authClient(handle.address);
  return {
    handle,
    config,
    client,
    logs,
    async stop() {
      client.close();
      await handle.stop();
    },
  };
}
