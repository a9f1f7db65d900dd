import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { freePort } from '../../../common/test/ports';
import { FaultProxy } from './fault-proxy';
import { HttpClient, type HttpRequest, type HttpResponse } from './http';
import { CampaignDatabase, mysqlServer } from './mysql';
import { ManagedProcess, portAccepts, waitFor, type ExitStatus } from '../../support/managed-process';

export interface StackOptions {
  /** Short name used in database names and log files. */
  label: string;
  loginMaxFailures?: number;
  loginLockSeconds?: number;
  /** Extra variables for both programs (e.g. LOG_LEVEL, JWT_EXPIRES_IN). */
  env?: NodeJS.ProcessEnv;
  /**
   * Keep the production shares of password work per client. Otherwise they are raised:
   * the campaign calls from one address at full speed to test other things.
   */
  productionClientShares?: boolean;
}

export interface Account {
  username: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

export interface StackSecrets {
  jwtSecret: string;
  jwtRefreshSecret: string;
  gatewaySecret: string;
  passwordPepper: string;
}

/** Where every program's output goes during one campaign run. */
export const campaignLogDir = path.join(os.tmpdir(), `aletheia-resilience-${process.pid}`);

const gatewayScript = 'dist/gateway/src/main.js';
const authScript = 'dist/auth-service/src/main.js';

let accountCounter = 0;

/** A username valid under the contract, unique within the run. */
export function uniqueUsername(prefix = 'u'): string {
  accountCounter += 1;
  return `${prefix}${accountCounter.toString(36)}_${randomBytes(4).toString('hex')}`.slice(0, 20);
}

/**
 * The real system as it runs in production: the auth-service and the gateway as child
 * processes from dist/, each with a fresh MariaDB database reached through a fault
 * proxy of the campaign's own, on free loopback ports, NODE_ENV=production.
 */
export class Stack {
  auth!: ManagedProcess;
  gateway!: ManagedProcess;
  http!: HttpClient;
  readonly secrets: StackSecrets = {
    jwtSecret: randomBytes(32).toString('hex'),
    jwtRefreshSecret: randomBytes(32).toString('hex'),
    gatewaySecret: randomBytes(32).toString('hex'),
    passwordPepper: randomBytes(32).toString('hex'),
  };
  readonly admin = { username: uniqueUsername('admin'), password: `Adm1n-${randomBytes(8).toString('hex')}` };
  private authStarts = 0;
  private gatewayStarts = 0;

  private constructor(
    readonly options: StackOptions,
    readonly authDb: CampaignDatabase,
    readonly ordersDb: CampaignDatabase,
    readonly authProxy: FaultProxy,
    readonly ordersProxy: FaultProxy,
    readonly apiPort: number,
    readonly grpcPort: number,
  ) {}

  static async start(options: StackOptions): Promise<Stack> {
    mkdirSync(campaignLogDir, { recursive: true });
    const server = mysqlServer();
    const authDb = await CampaignDatabase.create(`${options.label}_auth`);
    const ordersDb = await CampaignDatabase.create(`${options.label}_orders`);
    const authProxy = await FaultProxy.start(server);
    const ordersProxy = await FaultProxy.start(server);
    const stack = new Stack(options, authDb, ordersDb, authProxy, ordersProxy, await freePort(), await freePort());
    try {
      await stack.startAuth();
      await stack.startGateway();
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  get loginMaxFailures(): number {
    return this.options.loginMaxFailures ?? 5;
  }

  get loginLockSeconds(): number {
    return this.options.loginLockSeconds ?? 5;
  }

  private baseEnv(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      JWT_SECRET: this.secrets.jwtSecret,
      JWT_REFRESH_SECRET: this.secrets.jwtRefreshSecret,
      AUTH_GATEWAY_SECRET: this.secrets.gatewaySecret,
      PASSWORD_PEPPER: this.secrets.passwordPepper,
      BCRYPT_COST: '4',
      LOGIN_MAX_FAILURES: String(this.loginMaxFailures),
      LOGIN_LOCK_SECONDS: String(this.loginLockSeconds),
      AUTH_GRPC_PORT: String(this.grpcPort),
      AUTH_GRPC_HOST: '127.0.0.1',
      AUTH_GRPC_ADDRESS: `127.0.0.1:${this.grpcPort}`,
      API_PORT: String(this.apiPort),
      ...(this.options.productionClientShares
        ? {}
        : { AUTH_CLIENT_MAX_IN_FLIGHT: '1000', AUTH_CLIENT_MAX_HASHES_PER_MINUTE: '1000000' }),
      AUTH_DATABASE_URL: this.authDb.urlVia(this.authProxy.port),
      ORDERS_DATABASE_URL: this.ordersDb.urlVia(this.ordersProxy.port),
      ...this.options.env,
    };
  }

  private logFile(name: string, start: number): string {
    return path.join(campaignLogDir, `${this.options.label}-${name}-${start}.log`);
  }

  /** Starts the auth-service (again) on its port and waits until it accepts connections. */
  async startAuth(): Promise<number> {
    this.authStarts += 1;
    const env = { ...this.baseEnv(), ADMIN_USERNAME: this.admin.username, ADMIN_PASSWORD: this.admin.password };
    this.auth = new ManagedProcess('auth-service', authScript, env, this.logFile('auth', this.authStarts));
    return waitFor(`auth-service on port ${this.grpcPort}`, () => portAccepts(this.grpcPort), { process: this.auth });
  }

  /** Starts the gateway (again) and waits until /readyz says ready. */
  async startGateway(): Promise<number> {
    this.gatewayStarts += 1;
    this.gateway = new ManagedProcess(
      'gateway',
      gatewayScript,
      this.baseEnv(),
      this.logFile('gateway', this.gatewayStarts),
    );
    this.http?.close();
    this.http = new HttpClient(this.apiPort, { maxSockets: 64 });
    return waitFor(
      'gateway /readyz 200',
      async () => (await this.tryRequest({ method: 'GET', path: '/readyz' }))?.status === 200,
      {
        process: this.gateway,
      },
    );
  }

  /** Waits until the gateway reports ready (database and auth service), e.g. after a restart. */
  async waitReady(timeoutMs = 15_000): Promise<number> {
    return waitFor(
      'gateway /readyz 200',
      async () => (await this.tryRequest({ method: 'GET', path: '/readyz' }))?.status === 200,
      {
        process: this.gateway,
        timeoutMs,
      },
    );
  }

  /** A request that resolves to undefined instead of failing when there is no answer. */
  async tryRequest(request: HttpRequest): Promise<HttpResponse | undefined> {
    try {
      return await this.http.request({ timeoutMs: 2000, ...request });
    } catch {
      return undefined;
    }
  }

  request(request: HttpRequest): Promise<HttpResponse> {
    return this.http.request(request);
  }

  /** A client of its own: requests from another loopback address (127.0.0.2, ...). */
  clientAt(localAddress: string): { login(username: string, password: string): Promise<HttpResponse>; close(): void } {
    const client = new HttpClient(this.apiPort, { localAddress });
    return {
      login: (username, password) =>
        client.request({ method: 'POST', path: '/auth/login', body: { username, password } }),
      close: () => client.close(),
    };
  }

  async register(username: string, password: string): Promise<HttpResponse> {
    return this.request({ method: 'POST', path: '/auth/register', body: { username, password } });
  }

  async login(username: string, password: string): Promise<HttpResponse> {
    return this.request({ method: 'POST', path: '/auth/login', body: { username, password } });
  }

  /** Registers a new USER and logs it in. */
  async newUser(prefix = 'u'): Promise<Account> {
    const username = uniqueUsername(prefix);
    const password = `Pw-${randomBytes(6).toString('hex')}9`;
    const registered = await this.register(username, password);
    if (registered.status !== 204) throw new Error(`register ${username}: ${registered.status} ${registered.text}`);
    return this.loginAccount(username, password);
  }

  /** Logs in the ADMIN created at start-up by ADMIN_USERNAME/ADMIN_PASSWORD. */
  async adminAccount(): Promise<Account> {
    return this.loginAccount(this.admin.username, this.admin.password);
  }

  private async loginAccount(username: string, password: string): Promise<Account> {
    const response = await this.login(username, password);
    if (response.status !== 200) throw new Error(`login ${username}: ${response.status} ${response.text}`);
    const tokens = response.json as { accessToken: string; refreshToken: string };
    return { username, password, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
  }

  /** A direct connection to the orders database (not through the proxy). */
  ordersConnection(): Knex {
    return this.ordersDb.connect();
  }

  authConnection(): Knex {
    return this.authDb.connect();
  }

  /** Stops both programs (SIGTERM), the proxies, and drops the databases. */
  async stop(): Promise<{ auth?: ExitStatus; gateway?: ExitStatus }> {
    const gateway = await this.gateway?.stop('SIGTERM');
    const auth = await this.auth?.stop('SIGTERM');
    this.http?.close();
    await this.authProxy.stop();
    await this.ordersProxy.stop();
    if (!process.env.RESILIENCE_KEEP_DATABASES) {
      await this.authDb.drop();
      await this.ordersDb.drop();
    }
    return { auth, gateway };
  }
}

/** Bearer header for a token. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
