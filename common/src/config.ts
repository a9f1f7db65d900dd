import path from 'node:path';
import { z } from 'zod';
import { repoRoot } from './repo-root';

/** Start-up configuration that does not hold; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Empty strings count as unset, as they do in most deployment tools. */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
}

export function parseEnv<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<Shape>> {
  const result = z.object(shape).safeParse(withoutEmpty(env));
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  return result.data;
}

/** The gateway's proof to the auth-service in development, shared so `npm start` needs no setting. */
const developmentGatewaySecret = 'aletheia-development-gateway-secret-do-not-use-in-production';
const minimumGatewaySecretBytes = 32;

/**
 * AUTH_GATEWAY_SECRET, which both programs must share: required in production (at least
 * 32 bytes), a fixed development value with a warning otherwise.
 */
export function gatewaySecretFromEnv(
  value: string | undefined,
  production: boolean,
): { secret: string; problem?: string; warning?: string } {
  if (value === undefined) {
    return production
      ? { secret: '', problem: 'AUTH_GATEWAY_SECRET: required in production' }
      : { secret: developmentGatewaySecret, warning: 'AUTH_GATEWAY_SECRET is not set: using a development secret' };
  }
  if (Buffer.byteLength(value, 'utf8') < minimumGatewaySecretBytes) {
    const message = `AUTH_GATEWAY_SECRET: must be at least ${minimumGatewaySecretBytes} bytes`;
    return production ? { secret: value, problem: `${message} in production` } : { secret: value, warning: message };
  }
  return { secret: value };
}

export const nodeEnv = z.enum(['development', 'production', 'test']).default('development');

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** A whole number written in plain digits (`10`; not `1e1`, `0x10` or ` 10`), within bounds. */
const digits = (bounds: { min: number; max: number }) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(bounds.min).max(bounds.max));

export const wholeNumber = (fallback: number, bounds: { min: number; max: number }) => digits(bounds).default(fallback);

export const port = (fallback: number) => wholeNumber(fallback, { min: 0, max: 65535 });

/** A port that may be left unset (the setting is then off). */
export const optionalPort = digits({ min: 0, max: 65535 }).optional();

export const positiveInt = (fallback: number) => wholeNumber(fallback, { min: 1, max: Number.MAX_SAFE_INTEGER });

/**
 * A switch: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off` (any case), the same words in
 * both programs.
 */
const switchWords = z.stringbool({ error: 'expected true or false' });
export const flag = (fallback: boolean) => switchWords.default(fallback);
/** A switch whose absence means something of its own (e.g. "as the environment suggests"). */
export const optionalFlag = switchWords.optional();

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration in the unit its variable's name says (`_MS`: milliseconds; `_SECONDS` and the
 * token lifetimes: seconds), or with a unit of its own: `500ms`, `30s`, `15m`, `12h`,
 * `7d`. Both programs read every duration this way.
 */
function duration(unit: 'ms' | 's', bounds: { min: number; max: number }) {
  return z.string().transform((text, ctx) => {
    const match = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(text.trim());
    const value = match ? (Number(match[1]) * unitMs[match[2] ?? unit]) / unitMs[unit] : NaN;
    if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration from ${bounds.min} to ${bounds.max} ${unit === 'ms' ? 'milliseconds' : 'seconds'}, such as 900, 15m, 12h or 7d`,
      });
      return z.NEVER;
    }
    return value;
  });
}

export const milliseconds = (fallback: number, bounds: { min: number; max: number }) =>
  duration('ms', bounds).prefault(String(fallback));

/** A duration in milliseconds whose absence means something of its own (e.g. "as another setting says"). */
export const optionalMilliseconds = (bounds: { min: number; max: number }) => duration('ms', bounds).optional();

/** A positive duration as whole seconds: `900`, `900s`, `15m`, `12h` or `7d`. */
export const durationSeconds = (fallback: string) =>
  duration('s', { min: 1, max: 10 * 365 * 86_400 }).prefault(fallback);

/** A gRPC address: `host:port`, `[ipv6]:port` or `unix:/path`. */
export const grpcAddress = z
  .string()
  .regex(/^(unix:.+|[^\s:[\]]+:\d{1,5}|\[[0-9A-Fa-f:.]+\]:\d{1,5})$/, 'expected host:port or unix:/path');

/** Connections a program may open, and how long a request waits for one (default 5 s). */
interface PoolSettings {
  poolMax: number;
  acquireTimeoutMs?: number;
}

/** One server of a MySQL database; a cluster's nodes are listed in the order they are tried. */
export interface DatabaseHost {
  host: string;
  port: number;
}

export type DatabaseConfig =
  | ({ client: 'sqlite'; filename: string } & PoolSettings)
  | ({
      client: 'mysql';
      /** Tried in order: connections go to the first that answers, the next ones when it does not. */
      hosts: DatabaseHost[];
      user: string;
      password: string;
      database: string;
      /**
       * On a Galera node, every session waits for the cluster's earlier commits before it
       * reads (`wsrep_sync_wait=1`), so a write made through another node is seen.
       */
      syncWait: boolean;
    } & PoolSettings);

const defaultMysqlPort = 3306;

/**
 * `host`, `host:port` or `[ipv6]:port`, comma-separated: the servers of one database (a
 * Galera cluster's nodes), `fallbackPort` where none is written.
 */
export function parseHostList(text: string, fallbackPort = defaultMysqlPort): DatabaseHost[] {
  return text.split(',').map((entry) => {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/@]+))(?::(\d{1,5}))?$/.exec(entry.trim());
    const port = match?.[3] === undefined ? fallbackPort : Number(match[3]);
    if (!match || port < 1 || port > 65535) throw new Error(`expected host or host:port, got "${entry.trim()}"`);
    return { host: match[1] ?? match[2], port };
  });
}

/** Where a SQLite file lives when nothing else is configured. */
export function defaultSqliteFile(name: string): string {
  return path.join(repoRoot, 'data', `${name}.sqlite`);
}

/**
 * Parses `mysql://user:password@host:3306/database` (several servers of one cluster:
 * `mysql://user@node1:3306,node2:3306,node3:3306/database`) or `sqlite:path/to/file.sqlite`
 * (relative paths are resolved against the working directory).
 */
export function parseDatabaseUrl(url: string, poolMax: number, syncWait = true): DatabaseConfig {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new Error('sqlite URL names no file');
    return { client: 'sqlite', filename: path.resolve(file), poolMax };
  }
  // WHATWG URLs hold one host: the list is read apart, the rest through URL with its first host.
  const authority = /^mysql:\/\/(?:[^@/?#]*@)?([^/?#]*)/.exec(url);
  if (!authority) throw new Error('expected a mysql:// or sqlite: URL');
  const hosts = parseHostList(authority[1]);
  const start = authority[0].length - authority[1].length;
  const parsed = new URL(url.slice(0, start) + authority[1].split(',')[0] + url.slice(authority[0].length));
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '') throw new Error('mysql URL names no database');
  return {
    client: 'mysql',
    hosts,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database,
    syncWait,
    poolMax,
  };
}

/** One variable through its schema (empty counts as unset); a problem is collected, not thrown. */
function readVariable<Schema extends z.ZodType>(
  env: NodeJS.ProcessEnv,
  name: string,
  schema: Schema,
  problems: string[],
): z.output<Schema> | undefined {
  const value = env[name];
  const result = schema.safeParse(value === '' ? undefined : value);
  if (result.success) return result.data;
  problems.push(...result.error.issues.map((issue) => `${name}: ${issue.message}`));
  return undefined;
}

/** A request waits this long for a database connection before it is answered as unavailable. */
export const defaultAcquireTimeoutMs = 5000;

/**
 * The database settings of one program: a URL variable, or the original system's
 * `<PREFIX>_DB_*` variables (MySQL; `<PREFIX>_HOST` may list a cluster's nodes), or else
 * an embedded SQLite file. Production must name its database explicitly.
 * `<PREFIX>_SYNC_WAIT` (default on) turns off the causal reads on Galera nodes.
 */
export function databaseFromEnv(
  env: NodeJS.ProcessEnv,
  names: { url: string; prefix: string; sqliteName: string },
  production: boolean,
): DatabaseConfig {
  const problems: string[] = [];
  const read = <Schema extends z.ZodType>(name: string, schema: Schema) => readVariable(env, name, schema, problems);
  const url = read(names.url, z.string().optional());
  const host = read(`${names.prefix}_HOST`, z.string().optional());
  const mysqlPort = read(`${names.prefix}_PORT`, port(defaultMysqlPort));
  const syncWait = read(`${names.prefix}_SYNC_WAIT`, flag(true));
  const user = read(`${names.prefix}_USER`, z.string().default('root'));
  const password = read(`${names.prefix}_PASSWORD`, z.string().default(''));
  const database = read(`${names.prefix}_NAME`, z.string().default('aletheia'));
  const poolMax = read(`${names.prefix}_POOL_MAX`, positiveInt(10));
  const acquireTimeoutMs = read(
    `${names.prefix}_ACQUIRE_TIMEOUT_MS`,
    milliseconds(defaultAcquireTimeoutMs, { min: 1, max: 600_000 }),
  );
  if (url !== undefined && problems.length === 0) {
    try {
      return { ...parseDatabaseUrl(url, poolMax ?? 10, syncWait ?? true), acquireTimeoutMs };
    } catch (error) {
      problems.push(`${names.url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  let hosts: DatabaseHost[] | undefined;
  if (host !== undefined && problems.length === 0) {
    try {
      hosts = parseHostList(host, mysqlPort);
    } catch (error) {
      problems.push(`${names.prefix}_HOST: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const pool = { poolMax: poolMax ?? 10, acquireTimeoutMs };
  if (hosts !== undefined) {
    return {
      client: 'mysql',
      hosts,
      user: user ?? 'root',
      password: password ?? '',
      database: database ?? 'aletheia',
      syncWait: syncWait ?? true,
      ...pool,
    };
  }
  if (production) {
    throw new ConfigError([`${names.url}: required in production (or ${names.prefix}_HOST and friends)`]);
  }
  return { client: 'sqlite', filename: defaultSqliteFile(names.sqliteName), ...pool };
}
