import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import knex from 'knex';
import { parseDatabaseUrl, type DatabaseConfig } from '../src/config';

/**
 * A database a test suite runs against: a fresh SQLite file, or a fresh MySQL
 * database on the server named by TEST_MYSQL_URL. Each suite gets its own, so suites
 * can run in parallel and leave nothing behind.
 */
export interface TestDatabase {
  readonly kind: 'sqlite' | 'mysql';
  create(): Promise<DatabaseConfig>;
  drop(): Promise<void>;
}

function sqliteTarget(): TestDatabase {
  let dir: string | undefined;
  return {
    kind: 'sqlite',
    async create() {
      dir = mkdtempSync(path.join(os.tmpdir(), 'aletheia-test-'));
      return { client: 'sqlite', filename: path.join(dir, 'test.sqlite'), poolMax: 1 };
    },
    async drop() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function mysqlTarget(serverUrl: string): TestDatabase {
  const server = parseDatabaseUrl(serverUrl, 10);
  if (server.client !== 'mysql') throw new Error('TEST_MYSQL_URL must be a mysql:// URL');
  const name = `aletheia_t_${randomBytes(6).toString('hex')}`;
  const admin = () =>
    knex({
      client: 'mysql2',
      connection: { ...server.hosts[0], user: server.user, password: server.password },
      pool: { min: 0, max: 1 },
    });
  return {
    kind: 'mysql',
    async create() {
      const db = admin();
      try {
        await db.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      } finally {
        await db.destroy();
      }
      return { ...server, database: name };
    },
    async drop() {
      const db = admin();
      try {
        await db.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await db.destroy();
      }
    },
  };
}

/**
 * SQLite always; MySQL as well when TEST_MYSQL_URL is set. An unreachable MySQL then
 * fails the suite: it is never skipped.
 */
export function testDatabases(): Array<() => TestDatabase> {
  const targets: Array<() => TestDatabase> = [sqliteTarget];
  const mysqlUrl = process.env.TEST_MYSQL_URL;
  if (mysqlUrl) targets.push(() => mysqlTarget(mysqlUrl));
  return targets;
}

/** Declares a describe block once per test database. */
export function describeEachDatabase(title: string, body: (database: TestDatabase) => void): void {
  for (const target of testDatabases()) {
    const database = target();
    describe(`${title} [${database.kind}]`, () => body(database));
  }
}
