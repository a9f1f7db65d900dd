import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolStats, SqlDatabase } from '../../../common/src/sql/database';

export interface GatewayMetrics {
  registry: Registry;
  /** One observation per HTTP response, labelled by the contract's route template. */
  observeHttp(method: string, route: string, status: number, seconds: number): void;
  observeGrpc(method: string, code: string, seconds: number): void;
  /** One auth-service refusal (abuse or overload), by RPC and reason. */
  countRefusal(method: string, reason: string): void;
}

/** Metrics of one gateway instance, in a registry of its own (tests run several gateways in one process). */
export function createMetrics(db: SqlDatabase): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route template, method and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency, by route template, method and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const grpcDuration = new Histogram({
    name: 'grpc_client_call_duration_seconds',
    help: 'Latency of calls to the auth service, by method and gRPC status code.',
    labelNames: ['method', 'code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const refusals = new Counter({
    name: 'auth_refusals_total',
    help: 'Calls the auth-service refused before hashing a password (429), by RPC and reason: client-throttled, too-many-login-failures, account-slowed, auth-busy.',
    labelNames: ['method', 'reason'] as const,
    registers: [registry],
  });

  const poolGauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(db.pool()));
      },
    });
  poolGauge('db_pool_connections_used', 'Orders database connections in use.', (stats) => stats.used);
  poolGauge('db_pool_connections_free', 'Idle orders database connections.', (stats) => stats.free);
  poolGauge('db_pool_pending_acquires', 'Queries waiting for a database connection.', (stats) => stats.waiting);

  new Counter({
    name: 'db_transaction_conflicts_total',
    help: 'Orders database transactions aborted as a conflict with concurrent ones (deadlock victim, or a certification failure on a Galera cluster), by outcome: retried, or gave_up after the last attempt (answered 503).',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      const counts = db.conflicts();
      this.reset();
      this.inc({ outcome: 'retried' }, counts.retried);
      this.inc({ outcome: 'gave_up' }, counts.gaveUp);
    },
  });

  return {
    registry,
    observeHttp(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      httpRequests.inc(labels);
      httpDuration.observe(labels, seconds);
    },
    observeGrpc(method, code, seconds) {
      grpcDuration.observe({ method, code }, seconds);
    },
    countRefusal(method, reason) {
      refusals.inc({ method, reason });
    },
  };
}
