import knex, { type Knex } from 'knex';
import { parseDatabaseUrl } from '../../common/src/config';

/** The MariaDB server the benchmark uses (BENCH_MYSQL_URL, default local root). */
export function benchServerUrl(): string {
  return process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/mysql';
}

function server(): { host: string; port: number; user: string; password: string } {
  const config = parseDatabaseUrl(benchServerUrl(), 2);
  if (config.client !== 'mysql') throw new Error('BENCH_MYSQL_URL must be a mysql:// URL');
  return { ...config.hosts[0], user: config.user, password: config.password };
}

/**
 * The run's own databases. Named per run (the benchmark's pid), since another run may
 * share the server at the same time (a CI smoke run next to a full one); dropped at the end.
 */
export const benchDatabases = {
  auth: `aletheia_bench_auth_${process.pid}`,
  orders: `aletheia_bench_orders_${process.pid}`,
} as const;

/** A program's database URL on the bench server. */
export function databaseUrl(database: string): string {
  const { host, port, user, password } = server();
  const credentials = password
    ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}`
    : encodeURIComponent(user);
  return `mysql://${credentials}@${host}:${port}/${database}`;
}

/** A connection to the server that uses no database (for server-wide questions). */
export function connectServer(): Knex {
  return knex({ client: 'mysql2', connection: server(), pool: { min: 0, max: 1 } });
}

/** Drops the run's databases. */
export async function dropBenchDatabases(): Promise<void> {
  const admin = connectServer();
  try {
    for (const name of Object.values(benchDatabases)) await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await admin.destroy();
  }
}

/** Drops and creates the benchmark's databases, so every run starts empty. */
export async function recreateBenchDatabases(): Promise<void> {
  const admin = connectServer();
  try {
    for (const name of Object.values(benchDatabases)) {
      await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    }
  } finally {
    await admin.destroy();
  }
}

/** A direct connection for seeding and checks (DECIMAL and DATETIME as strings, UTC). */
export function connect(database: string, poolMax = 4): Knex {
  return knex({
    client: 'mysql2',
    connection: {
      ...server(),
      database,
      timezone: 'Z',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      charset: 'utf8mb4',
    },
    pool: { min: 0, max: poolMax },
  });
}

export async function serverVersion(db: Knex): Promise<string> {
  const [rows] = (await db.raw('select version() as version')) as [Array<{ version: string }>];
  return rows[0].version;
}
