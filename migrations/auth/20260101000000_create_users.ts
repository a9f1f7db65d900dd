import type { Knex } from 'knex';
import { createIndexIfMissing, createTableIfMissing } from './support/schema';

/**
 * Accounts. `username` keeps the spelling given at registration; uniqueness without
 * regard to case comes from the lower-case `username_normalized` and its unique index,
 * so SQLite (case-sensitive) and MySQL (collation-dependent) behave alike.
 */
export async function up(knex: Knex): Promise<void> {
  await createTableIfMissing(knex, 'users', (table) => {
    table.string('id', 36).primary();
    table.string('username', 20).notNullable();
    table.string('username_normalized', 20).notNullable();
    table.string('password_hash', 60).notNullable();
    table.string('role', 10).notNullable().defaultTo('USER');
    // Consecutive failed logins since the last success or lock; reset when a lock is set.
    table.integer('failed_login_count').notNullable().defaultTo(0);
    table.datetime('locked_until', { precision: 3 }).nullable();
    table.datetime('created_at', { precision: 3 }).notNullable();
    table.datetime('updated_at', { precision: 3 }).notNullable();
    // A table-level CHECK: MariaDB rejects the column-level form with a constraint name.
    table.check("?? in ('USER', 'ADMIN')", ['role'], 'users_role_check');
  });
  await createIndexIfMissing(knex, 'users', 'users_username_normalized_unique', ['username_normalized'], {
    unique: true,
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('users');
}
