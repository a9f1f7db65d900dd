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

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

const durationUnits: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** A duration as whole seconds: `900`, `900s`, `15m`, `12h` or `7d`. */
export const durationSeconds = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const match = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim());
      const seconds = match ? Number(match[1]) * durationUnits[match[2] ?? ''] : 0;
      if (!match || seconds <= 0) {
        ctx.addIssue({ code: 'custom', message: 'expected a positive duration such as 900, 15m, 12h or 7d' });
        return z.NEVER;
      }
      return seconds;
    });

export type DatabaseConfig =
  | { client: 'sqlite'; filename: string; poolMax: number }
  | { client: 'mysql'; host: string; port: number; user: string; password: string; database: string; poolMax: number };

/** Where a SQLite file lives when nothing else is configured. */
export function defaultSqliteFile(name: string): string {
  return path.join(repoRoot, 'data', `${name}.sqlite`);
}

/**
 * Parses `mysql://user:password@host:3306/database` or `sqlite:path/to/file.sqlite`
 * (relative paths are resolved against the working directory).
 */
export function parseDatabaseUrl(url: string, poolMax: number): DatabaseConfig {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new Error('sqlite URL names no file');
    return { client: 'sqlite', filename: path.resolve(file), poolMax };
  }
  const parsed = new URL(url);
  if (parsed.protocol !== 'mysql:') throw new Error('expected a mysql:// or sqlite: URL');
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '') throw new Error('mysql URL names no database');
  return {
    client: 'mysql',
    host: parsed.hostname,
    port: parsed.port === '' ? 3306 : Number(parsed.port),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database,
    poolMax,
  };
}

/**
 * The database settings of one program: a URL variable, or the original system's
 * `<PREFIX>_DB_*` variables (MySQL), or else an embedded SQLite file. Production must
 * name its database explicitly.
 */
export function databaseFromEnv(
  env: NodeJS.ProcessEnv,
  names: { url: string; prefix: string; sqliteName: string },
  production: boolean,
): DatabaseConfig {
  const vars = parseEnv(
    {
      [names.url]: z.string().optional(),
      [`${names.prefix}_HOST`]: z.string().optional(),
      [`${names.prefix}_PORT`]: port(3306),
      [`${names.prefix}_USER`]: z.string().default('root'),
      [`${names.prefix}_PASSWORD`]: z.string().default(''),
      [`${names.prefix}_NAME`]: z.string().default('aletheia'),
      [`${names.prefix}_POOL_MAX`]: positiveInt(10),
    },
    env,
  ) as Record<string, string | number | undefined>;
  const poolMax = vars[`${names.prefix}_POOL_MAX`] as number;
  const url = vars[names.url] as string | undefined;
  if (url !== undefined) {
    try {
      return parseDatabaseUrl(url, poolMax);
    } catch (error) {
      throw new ConfigError([`${names.url}: ${(error as Error).message}`]);
    }
  }
  const host = vars[`${names.prefix}_HOST`] as string | undefined;
  if (host !== undefined) {
    return {
      client: 'mysql',
      host,
      port: vars[`${names.prefix}_PORT`] as number,
      user: vars[`${names.prefix}_USER`] as string,
      password: vars[`${names.prefix}_PASSWORD`] as string,
      database: vars[`${names.prefix}_NAME`] as string,
      poolMax,
    };
  }
  if (production) {
    throw new ConfigError([`${names.url}: required in production (or ${names.prefix}_HOST and friends)`]);
  }
  return { client: 'sqlite', filename: defaultSqliteFile(names.sqliteName), poolMax };
}
