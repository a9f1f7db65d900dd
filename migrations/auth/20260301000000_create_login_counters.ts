import type { Knex } from 'knex';
import { createIndexIfMissing, createTableIfMissing } from './support/schema';

/**
 * Login counters, keyed by the normalised username (never the user id), so names without
 * an account are counted exactly like names with one:
 * - `login_clients`: per name and client (an IPv4 address or an IPv6 /64), consecutive
 *   failures, the refusal they led to, and the last successful login (a "known" client);
 * - `login_accounts`: per name, the account's hourly failure budget across all clients
 *   (`budget_until`: the budget is spent up to then) and how many attempts were paced.
 * They replace the per-account lock of `users` (`failed_login_count`, `locked_until`),
 * which no longer decides anything.
 */
export async function up(knex: Knex): Promise<void> {
  await createTableIfMissing(knex, 'login_clients', (table) => {
    table.string('id', 36).primary();
    table.string('username_normalized', 20).notNullable();
    table.string('client_key', 64).notNullable();
    table.integer('consecutive_failures').notNullable().defaultTo(0);
    table.datetime('refused_until', { precision: 3 }).nullable();
    table.datetime('last_success_at', { precision: 3 }).nullable();
    table.datetime('created_at', { precision: 3 }).notNullable();
    table.datetime('updated_at', { precision: 3 }).notNullable();
  });
  await createIndexIfMissing(
    knex,
    'login_clients',
    'login_clients_username_client_unique',
    ['username_normalized', 'client_key'],
    { unique: true },
  );
  // Purging rows that no longer decide anything.
  await createIndexIfMissing(knex, 'login_clients', 'login_clients_updated_at_index', ['updated_at']);

  await createTableIfMissing(knex, 'login_accounts', (table) => {
    table.string('id', 36).primary();
    table.string('username_normalized', 20).notNullable();
    table.datetime('budget_until', { precision: 3 }).notNullable();
    table.integer('paced_attempts').notNullable().defaultTo(0);
    table.datetime('created_at', { precision: 3 }).notNullable();
    table.datetime('updated_at', { precision: 3 }).notNullable();
  });
  await createIndexIfMissing(knex, 'login_accounts', 'login_accounts_username_unique', ['username_normalized'], {
    unique: true,
  });
  await createIndexIfMissing(knex, 'login_accounts', 'login_accounts_budget_until_index', ['budget_until']);

  // Hashes per minute per client: rate-limiter-flexible's table, in the column order its
  // statements expect (key, points, expire in epoch ms). The library never creates it.
  await createTableIfMissing(knex, 'client_hash_counts', (table) => {
    table.string('key', 255).primary();
    table.integer('points').notNullable().defaultTo(0);
    table.bigInteger('expire').nullable();
  });
  await createIndexIfMissing(knex, 'client_hash_counts', 'client_hash_counts_expire_index', ['expire']);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('client_hash_counts');
  await knex.schema.dropTableIfExists('login_accounts');
  await knex.schema.dropTableIfExists('login_clients');
}
