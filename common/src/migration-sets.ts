import path from 'node:path';
import type { MigrationSet } from './migrations';

// Compiled migrations sit beside this module's output: dist/migrations/<database>/.
const migrationsRoot = path.resolve(__dirname, '..', '..', 'migrations');

export const authMigrations: MigrationSet = {
  directory: path.join(migrationsRoot, 'auth'),
  tableName: 'auth_knex_migrations',
};

export const ordersMigrations: MigrationSet = {
  directory: path.join(migrationsRoot, 'orders'),
  tableName: 'orders_knex_migrations',
  seedDirectory: path.join(migrationsRoot, 'orders', 'seeds'),
};
