import type { Knex } from 'knex';

/**
 * `access_version`: a counter on the account, raised whenever all its sessions must end
 * (password change or reset, logout everywhere, disabling), and on each session the
 * account's value it was opened or last confirmed under. A session is valid only while
 * the two agree, so a session opened or refreshed on another database node while its
 * account's sessions were being ended cannot outlive that ending: on a multi-primary
 * cluster row locks do not span nodes, the comparison does.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn('users', 'access_version'))) {
    await knex.schema.alterTable('users', (table) => table.integer('access_version').notNullable().defaultTo(0));
  }
  if (!(await knex.schema.hasColumn('sessions', 'access_version'))) {
    await knex.schema.alterTable('sessions', (table) => table.integer('access_version').notNullable().defaultTo(0));
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (table) => table.dropColumn('access_version'));
  await knex.schema.alterTable('users', (table) => table.dropColumn('access_version'));
}
