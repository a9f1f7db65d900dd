import type { Knex } from 'knex';
import { createIndexIfMissing, createTableIfMissing } from '../auth/support/schema';
import { uuidColumn } from './support/columns';

/**
 * How many orders each user has per order type and status, kept in the same transaction as
 * every create and status change. A list's `total` without a day filter is then a sum of
 * at most 14 rows for a USER (or of this small table for an ADMIN) instead of a COUNT over
 * every matching order: a customer with 10,000 orders costs the same as one with 10.
 * Counters are never retired (no deleted_at); a count may fall to zero.
 */
export async function up(knex: Knex): Promise<void> {
  await createTableIfMissing(knex, 'invoice_counts', (table) => {
    uuidColumn(knex, table, 'id').primary();
    uuidColumn(knex, table, 'user_id').notNullable();
    table.string('order_type', 10).notNullable();
    table.string('status', 20).notNullable();
    table.bigInteger('total').notNullable();
    table.datetime('created_at', { precision: 3 }).notNullable();
    table.datetime('updated_at', { precision: 3 }).notNullable();
  });
  await createIndexIfMissing(
    knex,
    'invoice_counts',
    'invoice_counts_user_id_order_type_status_unique',
    ['user_id', 'order_type', 'status'],
    { unique: true },
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('invoice_counts');
}
