import type { Knex } from 'knex';
import { createIndexIfMissing, createTableIfMissing } from '../auth/support/schema';
import { uuidColumn } from './support/columns';

/**
 * Every status an order has entered, appended in the same transaction as the change:
 * `from_status` is null for the entry written when the order is created. Append-only
 * (no deleted_at); `updated_at` equals `created_at` and `changed_at`.
 */
export async function up(knex: Knex): Promise<void> {
  await createTableIfMissing(knex, 'invoice_status_history', (table) => {
    uuidColumn(knex, table, 'id').primary();
    uuidColumn(knex, table, 'invoice_id').notNullable();
    table.string('from_status', 20).nullable();
    table.string('to_status', 20).notNullable();
    uuidColumn(knex, table, 'changed_by').notNullable();
    table.datetime('changed_at', { precision: 3 }).notNullable();
    table.datetime('created_at', { precision: 3 }).notNullable();
    table.datetime('updated_at', { precision: 3 }).notNullable();
  });
  // An order's history in order, for one order or for every order of a list page.
  await createIndexIfMissing(knex, 'invoice_status_history', 'invoice_status_history_invoice_id_changed_at_id_index', [
    'invoice_id',
    'changed_at',
    'id',
  ]);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('invoice_status_history');
}
