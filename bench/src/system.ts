import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadAuthConfig, type AuthConfig } from '../../auth-service/src/config';
import { freePort } from '../../common/test/ports';
import { benchDatabases, connectServer, databaseUrl, dropBenchDatabases, recreateBenchDatabases } from './databases';
import { DatabaseThreads } from './db-threads';
import { mariadbPid, type Watched } from './proc-stats';
import { ManagedProcess, portAccepts, waitFor } from '../../test/support/managed-process';

/** A production start (migrations included) may take a while on a loaded machine. */
const startupWait = { timeoutMs: 60_000, intervalMs: 100 };
const stopGraceMs = 15_000;

export interface SystemOptions {
  logDir: string;
  bcryptCost: number;
  /** Extra environment for both programs (`--env KEY=VALUE` on the command line). */
  env: NodeJS.ProcessEnv;
  /** Extra node flags for both programs (e.g. --cpu-prof). */
  nodeArgs: string[];
  keepDatabases: boolean;
}

/**
 * The system as production runs it: auth-service and gateway from dist/ with
 * NODE_ENV=production and a production log level, on fresh MariaDB databases, plus the
 * ceiling server (bare Express) in a process of its own.
 */
export class BenchSystem {
  private constructor(
    readonly options: SystemOptions,
    /** The ADMIN the auth-service creates at start-up (ADMIN_USERNAME/ADMIN_PASSWORD). */
    readonly admin: { username: string; password: string },
    /** The auth-service's configuration as it reads it from the environment the bench gave it. */
    readonly authConfig: AuthConfig,
    readonly auth: ManagedProcess,
    readonly gateway: ManagedProcess,
    readonly ceiling: ManagedProcess,
    readonly apiPort: number,
    readonly grpcPort: number,
    readonly ceilingPort: number,
    readonly dbPid: number | undefined,
    /** The database CPU of the benchmark's own connections (undefined when MariaDB's pid is unknown). */
    readonly dbThreads: DatabaseThreads | undefined,
    private readonly closeDbThreads: () => Promise<void>,
  ) {}

  static async start(options: SystemOptions): Promise<BenchSystem> {
    mkdirSync(options.logDir, { recursive: true });
    await recreateBenchDatabases();
    const [apiPort, grpcPort, ceilingPort] = [await freePort(), await freePort(), await freePort()];
    const admin = { username: 'bench_admin', password: `Adm1n-${randomBytes(8).toString('hex')}` };
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      // Production refuses secrets shorter than 32 bytes: 64 hex characters each.
      JWT_SECRET: randomBytes(32).toString('hex'),
      JWT_REFRESH_SECRET: randomBytes(32).toString('hex'),
      AUTH_GATEWAY_SECRET: randomBytes(32).toString('hex'),
      PASSWORD_PEPPER: randomBytes(32).toString('hex'),
      BCRYPT_COST: String(options.bcryptCost),
      MIGRATE_ON_START: 'true',
      AUTH_GRPC_HOST: '127.0.0.1',
      AUTH_GRPC_PORT: String(grpcPort),
      AUTH_GRPC_ADDRESS: `127.0.0.1:${grpcPort}`,
      API_PORT: String(apiPort),
      AUTH_DATABASE_URL: databaseUrl(benchDatabases.auth),
      ORDERS_DATABASE_URL: databaseUrl(benchDatabases.orders),
      ...options.env,
    };
    const log = (name: string) => path.join(options.logDir, `${name}.log`);
    const started: ManagedProcess[] = [];
    try {
      const ceiling = new ManagedProcess(
        'ceiling',
        'dist/bench/src/ceiling-server.js',
        { PATH: process.env.PATH, NODE_ENV: 'production', CEILING_PORT: String(ceilingPort) },
        log('ceiling'),
      );
      started.push(ceiling);
      const authEnv = { ...env, ADMIN_USERNAME: admin.username, ADMIN_PASSWORD: admin.password };
      const authConfig = loadAuthConfig(authEnv);
      const auth = new ManagedProcess(
        'auth-service',
        'dist/auth-service/src/main.js',
        authEnv,
        log('auth-service'),
        options.nodeArgs,
      );
      started.push(auth);
      await waitFor('the ceiling server', () => portAccepts(ceilingPort), { ...startupWait, process: ceiling });
      await waitFor(`the auth-service on port ${grpcPort}`, () => portAccepts(grpcPort), {
        ...startupWait,
        process: auth,
      });
      const gateway = new ManagedProcess('gateway', 'dist/gateway/src/main.js', env, log('gateway'), options.nodeArgs);
      started.push(gateway);
      await waitFor('the gateway to be ready (/readyz 200)', () => ready(apiPort), {
        ...startupWait,
        process: gateway,
      });
      const dbPid = mariadbPid();
      const server = connectServer();
      const dbThreads =
        dbPid === undefined ? undefined : new DatabaseThreads(dbPid, server, Object.values(benchDatabases));
      return new BenchSystem(
        options,
        admin,
        authConfig,
        auth,
        gateway,
        ceiling,
        apiPort,
        grpcPort,
        ceilingPort,
        dbPid,
        dbThreads,
        () => server.destroy(),
      );
    } catch (error) {
      await Promise.all(started.map((child) => child.stop('SIGTERM', stopGraceMs)));
      await dropBenchDatabases();
      throw error;
    }
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  get ceilingUrl(): string {
    return `http://127.0.0.1:${this.ceilingPort}`;
  }

  get grpcAddress(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  /** Every process whose CPU and memory the measurements report, by role. */
  get watched(): Watched {
    const watched: Watched = { gateway: this.gateway.pid, auth: this.auth.pid, bench: process.pid };
    // The whole server, shared with anything else on the machine; `db` is the benchmark's share.
    if (this.dbPid !== undefined) watched.dbServer = this.dbPid;
    return watched;
  }

  get ceilingWatched(): Watched {
    return { ceiling: this.ceiling.pid, bench: process.pid };
  }

  /** Fails when a program has died: every later number would be meaningless. */
  assertRunning(): void {
    for (const child of [this.auth, this.gateway, this.ceiling]) {
      if (!child.running) {
        throw new Error(`${child.name} exited (${JSON.stringify(child.exitStatus)}):\n${child.recentOutput()}`);
      }
    }
  }

  async stop(): Promise<void> {
    await this.gateway.stop('SIGTERM', stopGraceMs);
    await Promise.all([
      this.auth.stop('SIGTERM', stopGraceMs),
      this.ceiling.stop('SIGTERM', stopGraceMs),
      this.closeDbThreads(),
    ]);
    if (!this.options.keepDatabases) await dropBenchDatabases();
  }
}

async function ready(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}
