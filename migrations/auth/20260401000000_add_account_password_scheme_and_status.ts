import type { Knex } from 'knex';

/**
 * `password_scheme` says how `password_hash` was made, so stored hashes keep working when
 * the scheme changes: `bcrypt` (bcrypt of the password as typed, every hash made before
 * this column, and any a pod of the previous release writes during a rolling upgrade:
 * hence the default) or `hmac-sha256-bcrypt` (bcrypt of the base64 HMAC-SHA-256 of the
 * NFC password under the server's pepper). `disabled_at`: set while an operator has
 * disabled the account.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn('users', 'password_scheme'))) {
    await knex.schema.alterTable('users', (table) =>
      table.string('password_scheme', 32).notNullable().defaultTo('bcrypt'),
    );
  }
  if (!(await knex.schema.hasColumn('users', 'disabled_at'))) {
    await knex.schema.alterTable('users', (table) => table.datetime('disabled_at', { precision: 3 }).nullable());
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('password_scheme');
    table.dropColumn('disabled_at');
  });
}
