import { z } from 'zod';
import {
  ConfigError,
  databaseFromEnv,
  logLevel,
  nodeEnv,
  parseEnv,
  port,
  positiveInt,
  type DatabaseConfig,
} from '../../common/src/config';

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
  businessTimeZone: string;
  logLevel: string;
  migrateOnStart: boolean;
  database: DatabaseConfig;
}

const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');

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

/** A token may be reused for at most a minute, whatever is configured: logouts elsewhere must land quickly. */
const maxTokenCacheTtlMs = 60_000;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const vars = parseEnv(
    {
      NODE_ENV: nodeEnv,
      API_PORT: port(3000),
      AUTH_GRPC_PORT: port(50051),
      AUTH_GRPC_ADDRESS: z.string().optional(),
      AUTH_GRPC_TIMEOUT_MS: positiveInt(2000),
      AUTH_GRPC_LOGIN_TIMEOUT_MS: positiveInt(10_000),
      TOKEN_CACHE_TTL_MS: z.coerce.number().int().min(0).max(maxTokenCacheTtlMs).default(1000),
      BUSINESS_TIME_ZONE: ianaTimeZone,
      LOG_LEVEL: logLevel,
      MIGRATE_ON_START: booleanFlag(true),
    },
    env,
  );
  if (
    vars.AUTH_GRPC_ADDRESS !== undefined &&
    !/^(unix:.+|[^\s:]+:\d{1,5}|\[[0-9a-fA-F:]+\]:\d{1,5})$/.test(vars.AUTH_GRPC_ADDRESS)
  ) {
    throw new ConfigError(['AUTH_GRPC_ADDRESS: expected host:port or unix:/path']);
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
    businessTimeZone: vars.BUSINESS_TIME_ZONE,
    logLevel: vars.LOG_LEVEL,
    migrateOnStart: vars.MIGRATE_ON_START,
    database: databaseFromEnv(
      env,
      { url: 'ORDERS_DATABASE_URL', prefix: 'API_DB', sqliteName: 'orders' },
      vars.NODE_ENV === 'production',
    ),
  };
}
