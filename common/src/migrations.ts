import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { DatabaseConfig } from './config';
import { createDatabase } from './database';

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Lists compiled migrations and records them without their extension, so a name never
 * depends on whether it ran from `.ts` or `.js`.
 */
class ExtensionlessMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly directory: string) {}

  async getMigrations(): Promise<string[]> {
    return readdirSync(this.directory)
      .filter((file) => /\.(js|ts)$/.test(file) && !file.endsWith('.d.ts') && !file.endsWith('.map'))
      .map((file) => file.replace(/\.(js|ts)$/, ''))
      .filter((name, index, names) => names.indexOf(name) === index)
      .sort();
  }

  getMigrationName(name: string): string {
    return name;
  }

  async getMigration(name: string): Promise<MigrationModule> {
    // Compiled CommonJS modules found at run time: a plain require keeps them synchronous and cached.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const migration: MigrationModule = require(path.join(this.directory, name));
    return migration;
  }
}

export interface MigrationSet {
  /** Folder of compiled migration modules. */
  directory: string;
  /** Each database keeps its own ledger, so the two programs never read each other's. */
  tableName: string;
  /** Idempotent seeds run after every migration run, if the database has any. */
  seedDirectory?: string;
}

export async function migrateToLatest(db: Knex, set: MigrationSet): Promise<string[]> {
  const [, applied]: [number, string[]] = await db.migrate.latest({
    migrationSource: new ExtensionlessMigrationSource(set.directory),
    tableName: set.tableName,
  });
  if (set.seedDirectory) {
    await db.seed.run({ directory: set.seedDirectory, loadExtensions: ['.js'] });
  }
  return applied;
}

/** Migrates the database `config` names with a Knex of its own (the schema's one source), then closes it. */
export async function migrate(config: DatabaseConfig, set: MigrationSet): Promise<string[]> {
  const db = createDatabase(config);
  try {
    return await migrateToLatest(db, set);
  } finally {
    await db.destroy();
  }
}
