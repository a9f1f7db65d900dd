import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../../common/test/ports';
import { repoRoot } from '../../../common/src/repo-root';
import { HttpClient, type HttpRequest, type HttpResponse } from '../../resilience/support/http';
import { ManagedProcess, portAccepts, waitFor } from '../../support/managed-process';

const run = promisify(execFile);

/** What every stack of one run shares, so a token issued through one is honoured by the others. */
export interface SharedSecrets {
  JWT_SECRET: string;
  JWT_REFRESH_SECRET: string;
  AUTH_GATEWAY_SECRET: string;
  PASSWORD_PEPPER: string;
}

export function sharedSecrets(): SharedSecrets {
  const secret = () => randomBytes(32).toString('hex');
  return {
    JWT_SECRET: secret(),
    JWT_REFRESH_SECRET: secret(),
    AUTH_GATEWAY_SECRET: secret(),
    PASSWORD_PEPPER: secret(),
  };
}

export interface DatabaseUrls {
  orders: string;
  auth: string;
}

/** Brings both databases to the latest schema once, as the chart's hook Job does. */
export async function migrate(urls: DatabaseUrls): Promise<void> {
  await run(process.execPath, [path.join(repoRoot, 'dist/scripts/migrate.js'), 'all'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      ORDERS_DATABASE_URL: urls.orders,
      AUTH_DATABASE_URL: urls.auth,
    },
  });
}

/** Both settings together bound how long another pod may still honour an ended session. */
export const tokenCacheTtlMs = 1000;
export const sessionCacheTtlMs = 1000;
export const loginMaxFailures = 5;

/**
 * One pod as the README runs it: the auth-service and the gateway from dist/, in
 * production mode, on free loopback ports, pointed at the given databases.
 */
export class ScaleStack {
  auth!: ManagedProcess;
  gateway!: ManagedProcess;
  http!: HttpClient;

  private constructor(
    readonly label: string,
    readonly apiPort: number,
  ) {}

  static async start(options: {
    label: string;
    urls: DatabaseUrls;
    secrets: SharedSecrets;
    logDir: string;
    admin?: { username: string; password: string };
  }): Promise<ScaleStack> {
    const apiPort = await freePort();
    const grpcPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      ...options.secrets,
      BCRYPT_COST: '4',
      LOGIN_MAX_FAILURES: String(loginMaxFailures),
      LOGIN_LOCK_SECONDS: '30',
      REFRESH_GRACE_SECONDS: '0',
      TOKEN_CACHE_TTL_MS: String(tokenCacheTtlMs),
      SESSION_CACHE_TTL_MS: String(sessionCacheTtlMs),
      AUTH_CLIENT_MAX_IN_FLIGHT: '1000',
      AUTH_CLIENT_MAX_HASHES_PER_MINUTE: '1000000',
      AUTH_GRPC_HOST: '127.0.0.1',
      AUTH_GRPC_PORT: String(grpcPort),
      AUTH_GRPC_ADDRESS: `127.0.0.1:${grpcPort}`,
      API_PORT: String(apiPort),
      MIGRATE_ON_START: 'false',
      ORDERS_DATABASE_URL: options.urls.orders,
      AUTH_DATABASE_URL: options.urls.auth,
      API_DB_ACQUIRE_TIMEOUT_MS: '3000',
      AUTH_DB_ACQUIRE_TIMEOUT_MS: '3000',
    };
    const stack = new ScaleStack(options.label, apiPort);
    try {
      const authEnv = options.admin
        ? { ...env, ADMIN_USERNAME: options.admin.username, ADMIN_PASSWORD: options.admin.password }
        : env;
      stack.auth = new ManagedProcess(
        `${options.label} auth-service`,
        'dist/auth-service/src/main.js',
        authEnv,
        path.join(options.logDir, `${options.label}-auth.log`),
      );
      await waitFor(`${options.label} auth-service`, () => portAccepts(grpcPort), { process: stack.auth });
      stack.gateway = new ManagedProcess(
        `${options.label} gateway`,
        'dist/gateway/src/main.js',
        env,
        path.join(options.logDir, `${options.label}-gateway.log`),
      );
      stack.http = new HttpClient(apiPort, { maxSockets: 64 });
      await stack.waitReady();
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  /** Waits until the gateway reports ready again (its databases and its auth-service). */
  waitReady(timeoutMs = 60_000): Promise<number> {
    return waitFor(
      `${this.label} gateway /readyz`,
      async () => (await this.tryRequest({ method: 'GET', path: '/readyz' }))?.status === 200,
      { process: this.gateway, timeoutMs, intervalMs: 100 },
    );
  }

  request(request: HttpRequest): Promise<HttpResponse> {
    return this.http.request(request);
  }

  async tryRequest(request: HttpRequest): Promise<HttpResponse | undefined> {
    try {
      return await this.http.request({ timeoutMs: 2000, ...request });
    } catch {
      return undefined;
    }
  }

  /** The value of one series of the gateway's /metrics (0 when absent). */
  async metric(series: string): Promise<number> {
    const response = await this.request({ method: 'GET', path: '/metrics' });
    const line = response.text.split('\n').find((entry) => entry.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  }

  async stop(): Promise<void> {
    await this.gateway?.stop('SIGTERM');
    await this.auth?.stop('SIGTERM');
    this.http?.close();
  }
}
