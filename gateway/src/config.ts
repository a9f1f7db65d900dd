import { z } from 'zod';
import * as settings from '../../common/src/config';

export interface GatewayConfig {
  nodeEnv: 'development' | 'production' | 'test';
  /** HTTP port; 0 binds a free one. */
  port: number;
  auth: {
    /** gRPC target of the auth service: `host:port` or `unix:/path`. */
    address: string;
    /** Deadline of every call except Login. */
    timeoutMs: number;
    /** Login waits for bcrypt, which queues under load: a longer deadline. */
    loginTimeoutMs: number;
  };
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
      AUTH_GRPC_LOGIN_TIMEOUT_MS: settings.milliseconds(10_000, { min: 1, max: 600_000 }),
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
  return {
    nodeEnv: vars.NODE_ENV,
    port: vars.API_PORT,
    auth: {
      address: vars.AUTH_GRPC_ADDRESS ?? `127.0.0.1:${vars.AUTH_GRPC_PORT}`,
      timeoutMs: vars.AUTH_GRPC_TIMEOUT_MS,
      loginTimeoutMs: vars.AUTH_GRPC_LOGIN_TIMEOUT_MS,
    },
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
      vars.NODE_ENV === 'production',
    ),
  };
}
