import type { Knex } from 'knex';
import { createIndexIfMissing } from '../auth/support/schema';

/**
 * A USER's list filtered by status (with or without a day): the page is a range of this
 * index, however many orders of other statuses the user has.
 */
export async function up(knex: Knex): Promise<void> {
  await createIndexIfMissing(knex, 'invoices', 'invoices_user_id_status_created_at_id_index', [
    'user_id',
    'status',
    'created_at',
    'id',
  ]);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invoices', (table) =>
    table.dropIndex([], 'invoices_user_id_status_created_at_id_index'),
  );
}
