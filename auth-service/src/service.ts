import type { Logger } from 'pino';
import { openSqlDatabase } from '../../common/src/sql/database';
import type { SqlDatabase } from '../../common/src/sql/types';
import { createLogger } from '../../common/src/logger';
import { authMigrations } from '../../common/src/migration-sets';
import { migrate } from '../../common/src/migrations';
import type { AuthConfig } from './config';
import { authHandlers } from './grpc/auth-handlers';
import { DatabaseHealth } from './grpc/database-health';
import { ClientIdentifier } from './admission/client-identity';
import { bind, createGrpcServer, createHealthServer, shutdown } from './grpc/server';
import { Purger } from './purger';
import { SessionCache } from './sessions/session-cache';
import { SessionService } from './sessions/session-service';
import { TokenService } from './sessions/token-service';
import type { AccountService } from './users/account-service';
import { createAccounts } from './users/accounts';

/** Enough for every session active within the cache's lifetime on one replica; a few MB at most. */
const sessionCacheEntries = 50_000;

export interface AuthServiceHandle {
  /** Where it listens, e.g. `127.0.0.1:50123` or `unix:/run/auth.sock`. */
  address: string;
  port: number;
  /** The health-only server's address, when one is configured. */
  healthAddress: string | null;
  db: SqlDatabase;
  stop(): Promise<void>;
}

/** The address callers dial: the bound port replaces a requested port 0. */
function boundAddress(listenAddress: string, port: number): string {
  return listenAddress.startsWith('unix:') ? listenAddress : listenAddress.replace(/:\d+$/, `:${port}`);
}

/** The operator's account from ADMIN_USERNAME/ADMIN_PASSWORD: created, or promoted and given that password. */
async function bootstrapAdmin(accounts: AccountService, admin: NonNullable<AuthConfig['admin']>, logger: Logger) {
  const result = await accounts.ensureAccount(admin.username, admin.password, 'ADMIN');
  if (result.created) logger.info({ userId: result.userId, username: admin.username }, 'admin account created');
  else if (result.previousRole !== null || result.passwordChanged) {
    logger.warn(
      {
        userId: result.userId,
        username: admin.username,
        promoted: result.previousRole !== null,
        passwordChanged: result.passwordChanged,
      },
      'existing account made to match ADMIN_USERNAME/ADMIN_PASSWORD',
    );
  }
}

/**
 * Starts the auth service: migrations (when configured), the admin bootstrap, then
 * AuthService + health + reflection on the configured address. `openDatabase`: how its
 * database is opened (the configured one, through the data-access module); it is
 * closed when the service stops.
 */
export async function startAuthService(
  config: AuthConfig,
  logger: Logger = createLogger('auth-service', config.logLevel),
  openDatabase: () => SqlDatabase = () => openSqlDatabase(config.database),
): Promise<AuthServiceHandle> {
  for (const warning of config.warnings) logger.warn(warning);
  if (config.migrateOnStart) {
    const applied = await migrate(config.database, authMigrations);
    if (applied.length > 0) logger.info({ migrations: applied }, 'auth database migrated');
  }
  const db = openDatabase();
  try {
    const { accounts, counters, sessionRows, close: closeAccounts } = await createAccounts(db, config, logger);
    const sessions = new SessionService(
      sessionRows,
      new TokenService(config.jwt),
      new SessionCache(config.sessionCacheTtlMs, sessionCacheEntries),
      config.refreshGraceSeconds * 1000,
    );
    if (config.admin) await bootstrapAdmin(accounts, config.admin, logger);

    const health = new DatabaseHealth(db, config.healthCheckIntervalMs, logger);
    const server = createGrpcServer(
      authHandlers(accounts, sessions, logger, {
        onDatabaseDown: () => void health.check(),
        identifier: new ClientIdentifier(config.gatewaySecret),
      }),
      health,
      { reflection: config.reflection },
    );
    const servers = [server];
    const port = await bind(server, config.listenAddress);
    let healthAddress: string | null = null;
    if (config.healthListenAddress !== null) {
      const healthServer = createHealthServer(health);
      servers.push(healthServer);
      healthAddress = boundAddress(config.healthListenAddress, await bind(healthServer, config.healthListenAddress));
    }
    await health.start();
    const dayMs = 86_400_000;
    const purgers = [
      new Purger('expired sessions', (now, batch) => sessionRows.deleteExpired(now, batch), logger),
      new Purger(
        'stale login counters',
        (now, batch) =>
          counters.deleteStale(
            now,
            config.loginKnownClientDays * dayMs,
            Math.max(config.loginLockSeconds * 1000, dayMs),
            batch,
          ),
        logger,
      ),
    ];
    for (const purger of purgers) purger.start();
    const address = boundAddress(config.listenAddress, port);
    logger.info({ address, healthAddress, reflection: config.reflection }, 'auth service listening');

    let stopping: Promise<void> | undefined;
    return {
      address,
      port,
      healthAddress,
      db,
      stop() {
        stopping ??= (async () => {
          health.stop();
          for (const purger of purgers) purger.stop();
          await Promise.all(servers.map((each) => shutdown(each, config.shutdownTimeoutMs)));
          await closeAccounts();
          await db.close();
          logger.info('auth service stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
