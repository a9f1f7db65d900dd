import { z } from 'zod';
import {
  ConfigError,
  databaseFromEnv,
  durationSeconds,
  flag,
  gatewaySecretFromEnv,
  grpcAddress,
  logLevel,
  milliseconds,
  nodeEnv,
  optionalFlag,
  parseEnv,
  port,
  positiveInt,
  wholeNumber,
  type DatabaseConfig,
} from '../../common/src/config';
import ipaddr from 'ipaddr.js';
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
  /** gRPC listen address of AuthService: loopback `host:port` or `unix:/path`. */
  listenAddress: string;
  /** A health-only gRPC server for kubelet probes (`host:port`), or null for none. */
  healthListenAddress: string | null;
  /** Serve gRPC server reflection on the main address. */
  reflection: boolean;
  /** The secret the gateway proves itself with (x-gateway-secret). */
  gatewaySecret: string;
  database: DatabaseConfig;
  migrateOnStart: boolean;
  jwt: JwtSettings;
  /** The server-side secret of the password hash (HMAC-SHA-256 key before bcrypt). */
  passwordPepper: string;
  bcryptCost: number;
  bcryptMaxConcurrency: number;
  /** Calls waiting for a bcrypt slot beyond this many are refused (RESOURCE_EXHAUSTED, auth-busy). */
  bcryptMaxQueue: number;
  /** Password calls one client may have queued or running on this replica. */
  clientMaxInFlight: number;
  /** Password hashes one client may cause per minute, across replicas. */
  clientMaxHashesPerMinute: number;
  /** Count those hashes in this Redis instead of the auth database (null: the database). */
  rateLimitRedisUrl: string | null;
  loginMaxFailures: number;
  loginLockSeconds: number;
  /** The account-wide failure budget per hour, across clients. */
  loginAccountMaxFailuresPerHour: number;
  /** How long a successful login keeps its client known for the account. */
  loginKnownClientDays: number;
  admin: { username: string; password: string } | null;
  /** How long the refresh token rotated last may be presented again (a retry, a second tab). */
  refreshGraceSeconds: number;
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
  PASSWORD_PEPPER: 'aletheia-development-password-pepper-do-not-use-in-production',
};

const minimumSecretBytes = 32;

/** True for a unix socket or a loopback host: AuthService must never be reachable from outside the pod. */
function isLocalAddress(address: string): boolean {
  if (address.startsWith('unix:')) return true;
  const host = address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') return true;
  return ipaddr.isValid(host) && ipaddr.process(host).range() === 'loopback';
}

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
  AUTH_HEALTH_GRPC_ADDRESS: grpcAddress.optional(),
  AUTH_GRPC_REFLECTION: optionalFlag,
  AUTH_GATEWAY_SECRET: z.string().optional(),
  MIGRATE_ON_START: flag(true),
  JWT_SECRET: z.string().optional(),
  JWT_REFRESH_SECRET: z.string().optional(),
  JWT_EXPIRES_IN: durationSeconds('15m'),
  JWT_REFRESH_EXPIRES_IN: durationSeconds('7d'),
  PASSWORD_PEPPER: z.string().optional(),
  REFRESH_GRACE_SECONDS: wholeNumber(10, { min: 0, max: 30 }),
  BCRYPT_COST: wholeNumber(12, { min: 4, max: 15 }),
  BCRYPT_MAX_CONCURRENCY: wholeNumber(1, { min: 1, max: 64 }),
  BCRYPT_MAX_QUEUE: wholeNumber(100, { min: 0, max: 100000 }),
  AUTH_CLIENT_MAX_IN_FLIGHT: wholeNumber(2, { min: 1, max: 1000 }),
  AUTH_CLIENT_MAX_HASHES_PER_MINUTE: wholeNumber(20, { min: 1, max: 1_000_000 }),
  AUTH_RATE_LIMIT_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'expected a redis:// or rediss:// URL')
    .optional(),
  LOGIN_MAX_FAILURES: positiveInt(10),
  LOGIN_LOCK_SECONDS: durationSeconds('900'),
  LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR: wholeNumber(100, { min: 1, max: 3600 }),
  LOGIN_KNOWN_CLIENT_DAYS: wholeNumber(30, { min: 0, max: 3650 }),
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

  const secret = (name: keyof typeof developmentSecrets): string => {
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
  // Changing the pepper later makes every password hashed with it unverifiable: keep it like the database.
  const passwordPepper = secret('PASSWORD_PEPPER');
  if (accessSecret === refreshSecret) {
    const message = 'JWT_REFRESH_SECRET: must differ from JWT_SECRET';
    if (production) problems.push(message);
    else warnings.push(message);
  }

  const gateway = gatewaySecretFromEnv(vars.AUTH_GATEWAY_SECRET, production);
  if (gateway.problem) problems.push(gateway.problem);
  if (gateway.warning) warnings.push(gateway.warning);

  const mainAddress = vars.AUTH_GRPC_ADDRESS ?? `${bracketIpv6(vars.AUTH_GRPC_HOST)}:${vars.AUTH_GRPC_PORT}`;
  if (!isLocalAddress(mainAddress)) {
    const name = vars.AUTH_GRPC_ADDRESS === undefined ? 'AUTH_GRPC_HOST' : 'AUTH_GRPC_ADDRESS';
    problems.push(
      `${name}: AuthService listens on loopback or a unix socket only (kubelet probes use AUTH_HEALTH_GRPC_ADDRESS)`,
    );
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
    listenAddress: mainAddress,
    healthListenAddress: vars.AUTH_HEALTH_GRPC_ADDRESS ?? null,
    reflection: vars.AUTH_GRPC_REFLECTION ?? !production,
    gatewaySecret: gateway.secret,
    database,
    migrateOnStart: vars.MIGRATE_ON_START,
    jwt: {
      accessSecret,
      refreshSecret,
      accessTtlSeconds: vars.JWT_EXPIRES_IN,
      refreshTtlSeconds: vars.JWT_REFRESH_EXPIRES_IN,
    },
    passwordPepper,
    bcryptCost: vars.BCRYPT_COST,
    bcryptMaxConcurrency: vars.BCRYPT_MAX_CONCURRENCY,
    bcryptMaxQueue: vars.BCRYPT_MAX_QUEUE,
    clientMaxInFlight: vars.AUTH_CLIENT_MAX_IN_FLIGHT,
    clientMaxHashesPerMinute: vars.AUTH_CLIENT_MAX_HASHES_PER_MINUTE,
    rateLimitRedisUrl: vars.AUTH_RATE_LIMIT_REDIS_URL ?? null,
    loginMaxFailures: vars.LOGIN_MAX_FAILURES,
    loginLockSeconds: vars.LOGIN_LOCK_SECONDS,
    loginAccountMaxFailuresPerHour: vars.LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR,
    loginKnownClientDays: vars.LOGIN_KNOWN_CLIENT_DAYS,
    admin,
    refreshGraceSeconds: vars.REFRESH_GRACE_SECONDS,
    sessionCacheTtlMs: vars.SESSION_CACHE_TTL_MS,
    healthCheckIntervalMs: vars.AUTH_HEALTH_CHECK_INTERVAL_MS,
    shutdownTimeoutMs: vars.AUTH_SHUTDOWN_TIMEOUT_MS,
    warnings,
  };
}
