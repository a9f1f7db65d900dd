import http from 'node:http';
import type express from 'express';
import { createLogger, type Logger } from '../../common/src/logger';
import { ordersMigrations } from '../../common/src/migration-sets';
import { migrate } from '../../common/src/migrations';
import { openSqlDatabase, type SqlDatabase } from '../../common/src/sql/database';
import { createApp } from './app';
import { answerClientError } from './http/client-error';
import { AuthClient } from './auth/auth-client';
import { TokenCache } from './auth/token-cache';
import { TokenValidator } from './auth/token-validator';
import type { GatewayConfig } from './config';
import { loadContract } from './http/contract';
import { swaggerUiFor } from './ops/docs';
import { createMetrics } from './ops/metrics';
import { metricsServer } from './ops/metrics-port';
import { routeHandlers } from './routes';

export interface GatewayHandle {
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  port: number;
  /** The port serving `/metrics` when `METRICS_PORT` is set. */
  metricsPort?: number;
  app: express.Express;
  /** The orders database, as the gateway's repositories use it. */
  db: SqlDatabase;
  /** Stops accepting, finishes in-flight requests, then closes the gRPC channel and the pool. */
  stop(): Promise<void>;
}

/** In-flight requests get this long to finish on stop; then their connections are cut. */
const drainTimeoutMs = 10_000;

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      const address = server.address();
      // A TCP server (listen on a port) always has an address object.
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/**
 * Graceful close: no new connections, in-flight requests finish, idle keep-alive sockets
 * close. Every response sent from then on says `Connection: close`: a keep-alive client
 * would otherwise keep its connection busy with new requests until the deadline cut one
 * in half; this way its next request needs a new connection, which is refused.
 */
function drainable(server: http.Server): { drain(): Promise<void> } {
  const unanswered = new Set<http.ServerResponse>();
  let draining = false;
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (draining) {
      res.setHeader('Connection', 'close');
      return;
    }
    unanswered.add(res);
    res.once('close', () => unanswered.delete(res));
  });
  return {
    drain: () =>
      new Promise((resolve) => {
        draining = true;
        for (const res of unanswered) if (!res.headersSent) res.setHeader('Connection', 'close');
        const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
        const deadline = setTimeout(() => server.closeAllConnections(), drainTimeoutMs);
        server.close(() => {
          clearInterval(idleSweep);
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

export async function startGateway(config: GatewayConfig, logger?: Logger): Promise<GatewayHandle> {
  const log = logger ?? createLogger('gateway', config.logLevel);
  if (config.migrateOnStart) {
    const applied = await migrate(config.database, ordersMigrations);
    if (applied.length > 0) log.info({ migrations: applied }, 'orders database migrated');
  }
  // Batches (a create's writes in one round trip) run on connections of their own.
  const db = openSqlDatabase(config.database, { batches: true });
  let auth: AuthClient | undefined;
  try {
    const contract = loadContract();
    const metrics = createMetrics(db);
    auth = new AuthClient(config.auth, metrics);
    const tokens = new TokenValidator(auth, new TokenCache(config.tokenCacheTtlMs));
    const docs = config.docsEnabled ? swaggerUiFor(contract) : undefined;
    const handlers = routeHandlers({
      db,
      businessTimeZone: config.businessTimeZone,
      auth,
      tokens,
      metrics,
      contract,
      docs,
      metricsOnOwnPort: config.metricsPort !== undefined,
    });
    const app = createApp({
      contract,
      handlers,
      tokens,
      metrics,
      docs,
      corsOrigins: config.corsOrigins,
      logger: log,
      validateResponses: config.nodeEnv === 'test',
      trustProxy: config.trustProxy,
    });

    const server = http.createServer(
      {
        // A slow client is answered 408 and let go once either bound passes; the bounds
        // are checked this often (Node's default, 30 s, would let it stay that much longer).
        headersTimeout: config.http.headersTimeoutMs,
        requestTimeout: config.http.requestTimeoutMs,
        connectionsCheckingInterval: Math.min(1000, Math.ceil(config.http.headersTimeoutMs / 2)),
      },
      app,
    );
    const { drain } = drainable(server);
    server.on('clientError', answerClientError);
    // Longer than the idle timeout of the load balancers in front, so they never reuse a
    // socket we just closed. An idle connection waiting for its next request is not under
    // the headers timeout, which starts with a request's first byte.
    server.keepAliveTimeout = 65_000;
    const port = await listen(server, config.port);
    let metricsHttp: http.Server | undefined;
    let metricsPort: number | undefined;
    if (config.metricsPort !== undefined) {
      metricsHttp = metricsServer(metrics);
      try {
        metricsPort = await listen(metricsHttp, config.metricsPort);
      } catch (error) {
        server.close();
        throw error;
      }
    }
    const metricsListener = metricsHttp;
    const authClient = auth;
    let stopping: Promise<void> | undefined;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      metricsPort,
      app,
      db,
      stop() {
        stopping ??= (async () => {
          await drain();
          if (metricsListener) await new Promise((resolve) => metricsListener.close(resolve));
          authClient.close();
          await db.close();
        })();
        return stopping;
      },
    };
  } catch (error) {
    auth?.close();
    await db.close();
    throw error;
  }
}
