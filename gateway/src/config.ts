import express from 'express';
import { z } from 'zod';
import * as settings from '../../common/src/config';

export interface GatewayConfig {
  nodeEnv: 'development' | 'production' | 'test';
  /** HTTP port; 0 binds a free one. */
  port: number;
  auth: {
    /** gRPC target of the auth service: `host:port` or `unix:/path`. */
    address: string;
    /** Deadline of every call that does not hash a password. */
    timeoutMs: number;
    /** Calls that wait for a password hash (Register, Login): bcrypt queues under load, a longer deadline. */
    passwordTimeoutMs: number;
    /** Sent with every call, so the auth-service believes the client address the gateway names. */
    gatewaySecret: string;
  };
  /** Express's `trust proxy`: which hops in front may name the client in X-Forwarded-For. */
  trustProxy: TrustProxy;
  /** How long a successful token validation may be reused by this process; 0 disables. */
  tokenCacheTtlMs: number;
  /** Origins whose browser apps may call the API (exact `scheme://host[:port]`); empty: none. */
  corsOrigins: string[];
  http: {
    /** A request's headers must have arrived this long after its first byte. */
    headersTimeoutMs: number;
    /** The whole request (headers and body) must have arrived this long after its first byte. */
    requestTimeoutMs: number;
  };
  /** Serve `/metrics` on this port only (not on the API port); undefined: on the API port. */
  metricsPort?: number;
  /** Serve Swagger UI at `/docs`. */
  docsEnabled: boolean;
  businessTimeZone: string;
  logLevel: string;
  migrateOnStart: boolean;
  database: settings.DatabaseConfig;
  /** Things an operator should hear about at start-up (development secrets in use, ...). */
  warnings: string[];
}

/** Express's `trust proxy` vocabulary: trust everything, a hop count, or addresses, CIDRs and names. */
export type TrustProxy = boolean | number | string[];

/**
 * TRUST_PROXY as Express reads it: `false` (the default: the client is the socket's
 * peer), `true` (every hop: only behind a proxy that overwrites X-Forwarded-For), a hop
 * count, or a comma-separated list of addresses, CIDRs and the names `loopback`,
 * `linklocal`, `uniquelocal`. Express's own parser checks the list.
 */
function parseTrustProxy(text: string | undefined): TrustProxy {
  if (text === undefined || text === 'false') return false;
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) return Number(text);
  const list = text.split(',').map((entry) => entry.trim());
  try {
    express().set('trust proxy', list);
  } catch (error) {
    throw new settings.ConfigError([`TRUST_PROXY: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return list;
}

const ianaTimeZone = z
  .string()
  .default('Asia/Seoul')
  .refine(
    (zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'expected an IANA time zone such as Asia/Seoul' },
  );

/** Exact origins, comma-separated: `https://app.example.com,http://localhost:5173`. */
const originList = z
  .string()
  .transform((text, ctx) => {
    const origins = text
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== '');
    const exact = (origin: string) => {
      try {
        const url = new URL(origin);
        return (
          (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === origin && !origin.includes('*')
        );
      } catch {
        return false;
      }
    };
    const wrong = origins.find((origin) => !exact(origin));
    if (wrong !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${wrong} is not an exact origin (scheme://host[:port], no path, no wildcard, no trailing slash)`,
      });
      return z.NEVER;
    }
    return origins;
  })
  .optional();

/** A token may be reused for at most a minute, whatever is configured: logouts elsewhere must land quickly. */
const maxTokenCacheTtlMs = 60_000;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const vars = settings.parseEnv(
    {
      NODE_ENV: settings.nodeEnv,
      API_PORT: settings.port(3000),
      AUTH_GRPC_PORT: settings.port(50051),
      AUTH_GRPC_ADDRESS: settings.grpcAddress.optional(),
      AUTH_GRPC_TIMEOUT_MS: settings.milliseconds(2000, { min: 1, max: 600_000 }),
      AUTH_GRPC_PASSWORD_TIMEOUT_MS: settings.optionalMilliseconds({ min: 1, max: 600_000 }),
      // The earlier name of AUTH_GRPC_PASSWORD_TIMEOUT_MS, still read.
      AUTH_GRPC_LOGIN_TIMEOUT_MS: settings.milliseconds(10_000, { min: 1, max: 600_000 }),
      AUTH_GATEWAY_SECRET: z.string().optional(),
      TRUST_PROXY: z.string().optional(),
      TOKEN_CACHE_TTL_MS: settings.milliseconds(1000, { min: 0, max: maxTokenCacheTtlMs }),
      BUSINESS_TIME_ZONE: ianaTimeZone,
      LOG_LEVEL: settings.logLevel,
      MIGRATE_ON_START: settings.flag(true),
      CORS_ORIGINS: originList,
      HTTP_HEADERS_TIMEOUT_MS: settings.milliseconds(10_000, { min: 1, max: 3_600_000 }),
      HTTP_REQUEST_TIMEOUT_MS: settings.milliseconds(30_000, { min: 1, max: 3_600_000 }),
      METRICS_PORT: settings.optionalPort,
      DOCS_ENABLED: settings.flag(true),
    },
    env,
  );
  if (vars.HTTP_HEADERS_TIMEOUT_MS > vars.HTTP_REQUEST_TIMEOUT_MS) {
    throw new settings.ConfigError(['HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS']);
  }
  if (vars.METRICS_PORT !== undefined && vars.METRICS_PORT !== 0 && vars.METRICS_PORT === vars.API_PORT) {
    throw new settings.ConfigError(['METRICS_PORT: must differ from API_PORT']);
  }
  const production = vars.NODE_ENV === 'production';
  const gateway = settings.gatewaySecretFromEnv(vars.AUTH_GATEWAY_SECRET, production);
  if (gateway.problem) throw new settings.ConfigError([gateway.problem]);
  return {
    nodeEnv: vars.NODE_ENV,
    port: vars.API_PORT,
    auth: {
      address: vars.AUTH_GRPC_ADDRESS ?? `127.0.0.1:${vars.AUTH_GRPC_PORT}`,
      timeoutMs: vars.AUTH_GRPC_TIMEOUT_MS,
      passwordTimeoutMs: vars.AUTH_GRPC_PASSWORD_TIMEOUT_MS ?? vars.AUTH_GRPC_LOGIN_TIMEOUT_MS,
      gatewaySecret: gateway.secret,
    },
    trustProxy: parseTrustProxy(vars.TRUST_PROXY),
    tokenCacheTtlMs: vars.TOKEN_CACHE_TTL_MS,
    // In development the docs page that `npm start` prints may call the API from its origin.
    corsOrigins: vars.CORS_ORIGINS ?? (vars.NODE_ENV === 'development' ? [`http://localhost:${vars.API_PORT}`] : []),
    http: { headersTimeoutMs: vars.HTTP_HEADERS_TIMEOUT_MS, requestTimeoutMs: vars.HTTP_REQUEST_TIMEOUT_MS },
    metricsPort: vars.METRICS_PORT,
    docsEnabled: vars.DOCS_ENABLED,
    businessTimeZone: vars.BUSINESS_TIME_ZONE,
    logLevel: vars.LOG_LEVEL,
    migrateOnStart: vars.MIGRATE_ON_START,
    database: settings.databaseFromEnv(
      env,
      { url: 'ORDERS_DATABASE_URL', prefix: 'API_DB', sqliteName: 'orders' },
      production,
    ),
    warnings: gateway.warning ? [gateway.warning] : [],
  };
}
