import { z } from 'zod';
import {
  ConfigError,
  databaseFromEnv,
  durationSeconds,
  flag,
  grpcAddress,
  logLevel,
  milliseconds,
  nodeEnv,
  parseEnv,
  port,
  positiveInt,
  type DatabaseConfig,
} from '../../common/src/config';
import { passwordProblem, usernameProblem } from './users/password-policy';

export interface JwtSettings {
  accessSecret: string;
  refreshSecret: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

export interface AuthConfig {
  nodeEnv: 'development' | 'production' | 'test';
  logLevel: string;
  /** gRPC listen address: `host:port` or `unix:/path`. */
  listenAddress: string;
  database: DatabaseConfig;
  migrateOnStart: boolean;
  jwt: JwtSettings;
  bcryptCost: number;
  bcryptMaxConcurrency: number;
  /** Logins waiting for a bcrypt slot beyond this many are turned away (UNAVAILABLE). */
  bcryptMaxQueue: number;
  loginMaxFailures: number;
  loginLockSeconds: number;
  admin: { username: string; password: string } | null;
  /** How long ValidateToken may trust a session it read (0: always read); other replicas see a logout within this bound. */
  sessionCacheTtlMs: number;
  /** How often the health service asks the database whether it answers. */
  healthCheckIntervalMs: number;
  /** How long a graceful stop waits for in-flight calls before cutting them off. */
  shutdownTimeoutMs: number;
  /** Things an operator should hear about at start-up (development secrets in use, ...). */
  warnings: string[];
}

// Fixed rather than random so tokens survive a restart during development.
const developmentSecrets = {
  JWT_SECRET: 'aletheia-development-access-token-secret-do-not-use-in-production',
  JWT_REFRESH_SECRET: 'aletheia-development-refresh-token-secret-do-not-use-in-production',
};

const minimumSecretBytes = 32;

/** `::1` must be written `[::1]` in a host:port address. */
function bracketIpv6(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

const envShape = {
  NODE_ENV: nodeEnv,
  LOG_LEVEL: logLevel,
  AUTH_GRPC_ADDRESS: grpcAddress.optional(),
  AUTH_GRPC_HOST: z.string().default('127.0.0.1'),
  AUTH_GRPC_PORT: port(50051),
  MIGRATE_ON_START: flag(true),
  JWT_SECRET: z.string().optional(),
  JWT_REFRESH_SECRET: z.string().optional(),
  JWT_EXPIRES_IN: durationSeconds('15m'),
  JWT_REFRESH_EXPIRES_IN: durationSeconds('7d'),
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(12),
  BCRYPT_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  BCRYPT_MAX_QUEUE: z.coerce.number().int().min(0).max(100000).default(100),
  LOGIN_MAX_FAILURES: positiveInt(10),
  LOGIN_LOCK_SECONDS: durationSeconds('900'),
  ADMIN_USERNAME: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  SESSION_CACHE_TTL_MS: milliseconds(1000, { min: 0, max: 60_000 }),
  AUTH_HEALTH_CHECK_INTERVAL_MS: milliseconds(5000, { min: 50, max: 600_000 }),
  AUTH_SHUTDOWN_TIMEOUT_MS: milliseconds(10_000, { min: 0, max: 600_000 }),
};

/**
 * Reads and checks the auth service's environment. Every problem is collected, so one
 * ConfigError names all bad variables at once. Production refuses development
 * secrets, weak or shared secrets and an implicit database.
 */
export function loadAuthConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const vars = parseEnv(envShape, env);
  const production = vars.NODE_ENV === 'production';
  const problems: string[] = [];
  const warnings: string[] = [];

  const secret = (name: 'JWT_SECRET' | 'JWT_REFRESH_SECRET'): string => {
    const value = vars[name];
    if (value === undefined) {
      if (production) problems.push(`${name}: required in production`);
      else warnings.push(`${name} is not set: using a development secret`);
      return developmentSecrets[name];
    }
    if (Buffer.byteLength(value, 'utf8') < minimumSecretBytes) {
      if (production) problems.push(`${name}: must be at least ${minimumSecretBytes} bytes in production`);
      else warnings.push(`${name} is shorter than ${minimumSecretBytes} bytes`);
    }
    return value;
  };
  const accessSecret = secret('JWT_SECRET');
  const refreshSecret = secret('JWT_REFRESH_SECRET');
  if (accessSecret === refreshSecret) {
    const message = 'JWT_REFRESH_SECRET: must differ from JWT_SECRET';
    if (production) problems.push(message);
    else warnings.push(message);
  }

  let admin: AuthConfig['admin'] = null;
  const { ADMIN_USERNAME: adminUsername, ADMIN_PASSWORD: adminPassword } = vars;
  if (adminUsername !== undefined && adminPassword === undefined) {
    problems.push('ADMIN_PASSWORD: required when ADMIN_USERNAME is set');
  } else if (adminUsername === undefined && adminPassword !== undefined) {
    problems.push('ADMIN_USERNAME: required when ADMIN_PASSWORD is set');
  } else if (adminUsername !== undefined && adminPassword !== undefined) {
    const usernameIssue = usernameProblem(adminUsername);
    const passwordIssue = passwordProblem(adminPassword, adminUsername);
    if (usernameIssue) problems.push(`ADMIN_USERNAME: ${usernameIssue}`);
    if (passwordIssue) problems.push(`ADMIN_PASSWORD: ${passwordIssue}`);
    admin = { username: adminUsername, password: adminPassword };
  }

  let database: DatabaseConfig | undefined;
  try {
    database = databaseFromEnv(env, { url: 'AUTH_DATABASE_URL', prefix: 'AUTH_DB', sqliteName: 'auth' }, production);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }

  if (problems.length > 0 || database === undefined) throw new ConfigError(problems);

  return {
    nodeEnv: vars.NODE_ENV,
    logLevel: vars.LOG_LEVEL,
    listenAddress: vars.AUTH_GRPC_ADDRESS ?? `${bracketIpv6(vars.AUTH_GRPC_HOST)}:${vars.AUTH_GRPC_PORT}`,
    database,
    migrateOnStart: vars.MIGRATE_ON_START,
    jwt: {
      accessSecret,
      refreshSecret,
      accessTtlSeconds: vars.JWT_EXPIRES_IN,
      refreshTtlSeconds: vars.JWT_REFRESH_EXPIRES_IN,
    },
    bcryptCost: vars.BCRYPT_COST,
    bcryptMaxConcurrency: vars.BCRYPT_MAX_CONCURRENCY,
    bcryptMaxQueue: vars.BCRYPT_MAX_QUEUE,
    loginMaxFailures: vars.LOGIN_MAX_FAILURES,
    loginLockSeconds: vars.LOGIN_LOCK_SECONDS,
    admin,
    sessionCacheTtlMs: vars.SESSION_CACHE_TTL_MS,
    healthCheckIntervalMs: vars.AUTH_HEALTH_CHECK_INTERVAL_MS,
    shutdownTimeoutMs: vars.AUTH_SHUTDOWN_TIMEOUT_MS,
    warnings,
  };
}
