import { databaseFromEnv, nodeEnv, parseEnv, logLevel, ConfigError } from '../common/src/config';
import { createDatabase } from '../common/src/database';
import { createLogger } from '../common/src/logger';
import { authMigrations, ordersMigrations } from '../common/src/migration-sets';
import { migrateToLatest, type MigrationSet } from '../common/src/migrations';

// `node dist/scripts/migrate.js [auth|orders|all]`: brings the named databases to the
// latest schema (the Helm chart runs it as a hook Job with MIGRATE_ON_START=false).

const targets: Record<'auth' | 'orders', { set: MigrationSet; names: Parameters<typeof databaseFromEnv>[1] }> = {
  auth: { set: authMigrations, names: { url: 'AUTH_DATABASE_URL', prefix: 'AUTH_DB', sqliteName: 'auth' } },
  orders: { set: ordersMigrations, names: { url: 'ORDERS_DATABASE_URL', prefix: 'API_DB', sqliteName: 'orders' } },
};

async function migrate(which: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (which !== 'auth' && which !== 'orders' && which !== 'all') {
    console.error(`usage: node dist/scripts/migrate.js [auth|orders|all]  (got "${which}")`);
    process.exitCode = 2;
    return;
  }
  const { NODE_ENV, LOG_LEVEL } = parseEnv({ NODE_ENV: nodeEnv, LOG_LEVEL: logLevel }, env);
  const logger = createLogger('migrate', LOG_LEVEL);
  const names = which === 'all' ? (['auth', 'orders'] as const) : ([which] as const);
  // Every configuration is checked before any database is touched.
  const configs = names.map((name) => databaseFromEnv(env, targets[name].names, NODE_ENV === 'production'));
  for (const [index, name] of names.entries()) {
    const db = createDatabase(configs[index]);
    try {
      const applied = await migrateToLatest(db, targets[name].set);
      logger.info({ database: name, applied }, applied.length > 0 ? 'migrated' : 'already up to date');
    } finally {
      await db.destroy();
    }
  }
}

// Migration SQL carries no secrets, so the driver's message (with the statement) is shown whole.
migrate(process.argv[2] ?? 'all', process.env).catch((error: unknown) => {
  console.error(
    error instanceof ConfigError
      ? error.message
      : `migration failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exitCode = 1;
});
