import type { Knex } from 'knex';

/** Where a session was opened from, as the gateway saw it at login: shown to its owner in a session list. */
export async function up(knex: Knex): Promise<void> {
  for (const [column, length] of [
    ['client_address', 64],
    ['user_agent', 255],
  ] as const) {
    if (!(await knex.schema.hasColumn('sessions', column))) {
      await knex.schema.alterTable('sessions', (table) => table.string(column, length).nullable());
    }
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (table) => {
    table.dropColumn('client_address');
    table.dropColumn('user_agent');
  });
}
