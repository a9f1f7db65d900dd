import { randomBytes } from 'node:crypto';
import knex, { type Knex } from 'knex';
import { parseDatabaseUrl } from '../../../common/src/config';

/** The MariaDB server the campaign uses: RESILIENCE_MYSQL_URL, TEST_MYSQL_URL or local root. */
export function mysqlServer(): { host: string; port: number; user: string; password: string } {
  const url = process.env.RESILIENCE_MYSQL_URL ?? process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
  const config = parseDatabaseUrl(url, 4);
  if (config.client !== 'mysql') throw new Error('the resilience campaign needs a mysql:// server');
  const [server] = config.hosts;
  if (server.host !== '127.0.0.1' && server.host !== 'localhost') {
    throw new Error('the resilience campaign only talks to a MariaDB on the loopback interface');
  }
  return { host: '127.0.0.1', port: server.port, user: config.user, password: config.password };
}

/** Every database the campaign creates carries this prefix, so leftovers are easy to spot. */
export const campaignDatabasePrefix = 'aletheia_res_';

/** A fresh, empty database on the campaign's server; drop() removes it. */
export class CampaignDatabase {
  private constructor(readonly name: string) {}

  static async create(label: string): Promise<CampaignDatabase> {
    const name = `${campaignDatabasePrefix}${label}_${randomBytes(4).toString('hex')}`;
    const admin = adminConnection();
    try {
      await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    } finally {
      await admin.destroy();
    }
    return new CampaignDatabase(name);
  }

  /** The URL a program uses to reach this database through `port` (a fault proxy or the server). */
  urlVia(port: number): string {
    const server = mysqlServer();
    const auth = server.password
      ? `${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}`
      : encodeURIComponent(server.user);
    return `mysql://${auth}@127.0.0.1:${port}/${this.name}`;
  }

  /** A direct connection (never through a proxy) for the campaign's own checks. */
  connect(): Knex {
    const server = mysqlServer();
    return knex({
      client: 'mysql2',
      connection: {
        ...server,
        database: this.name,
        timezone: 'Z',
        dateStrings: true,
        supportBigNumbers: true,
        bigNumberStrings: true,
      },
      pool: { min: 0, max: 2 },
    });
  }

  async drop(): Promise<void> {
    const admin = adminConnection();
    try {
      await admin.raw(`DROP DATABASE IF EXISTS \`${this.name}\``);
    } finally {
      await admin.destroy();
    }
  }
}

function adminConnection(): Knex {
  return knex({ client: 'mysql2', connection: mysqlServer(), pool: { min: 0, max: 1 } });
}

/** The server's version string, for the report. */
export async function mysqlVersion(): Promise<string> {
  const admin = adminConnection();
  try {
    const [rows] = (await admin.raw('select version() as version')) as [Array<{ version: string }>];
    return rows[0].version;
  } finally {
    await admin.destroy();
  }
}
