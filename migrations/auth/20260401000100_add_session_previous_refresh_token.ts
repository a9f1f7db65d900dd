import type { Knex } from 'knex';

/**
 * The refresh token a session rotated away last (its digest) and when: presented again
 * within the grace window (a retry, a second tab), it gets the pair its rotation gave
 * instead of counting as theft.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn('sessions', 'previous_refresh_token_hash'))) {
    await knex.schema.alterTable('sessions', (table) => table.string('previous_refresh_token_hash', 64).nullable());
  }
  if (!(await knex.schema.hasColumn('sessions', 'rotated_at'))) {
    await knex.schema.alterTable('sessions', (table) => table.datetime('rotated_at', { precision: 3 }).nullable());
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (table) => {
    table.dropColumn('previous_refresh_token_hash');
    table.dropColumn('rotated_at');
  });
}
