import type { Knex } from 'knex';
import { createIndexIfMissing, createTableIfMissing } from '../auth/support/schema';
import { exactAsciiColumn, moneyColumn, uuidColumn } from './support/columns';

/**
 * One row per order. Orders are never deleted (a cancelled order stays readable), so there
 * is no deleted_at. Status changes are conditional updates on `status` (`... WHERE id = ?
 * AND status = ?`): no state is ever entered twice, so the status itself is the version.
 * No foreign keys, so the table can later be sharded by user_id on a MySQL-compatible
 * distributed engine.
 */
export async function up(knex: Knex): Promise<void> {
  await createTableIfMissing(knex, 'invoices', (table) => {
    uuidColumn(knex, table, 'id').primary();
    table.string('order_number', 20).notNullable();
    table.string('order_type', 10).notNullable();
    table.string('status', 20).notNullable();
    table.string('product_type', 20).notNullable();
    // 9999999.99 g × 99999999.99 KRW/g needs 15 integer digits: DECIMAL(20,2) leaves room.
    moneyColumn(knex, table, 'quantity', 9).notNullable();
    moneyColumn(knex, table, 'price_per_gram', 10).notNullable();
    moneyColumn(knex, table, 'total_price', 20).notNullable();
    table.string('currency', 3).notNullable();
    table.string('delivery_address', 255).notNullable();
    table.string('recipient_name', 50).notNullable();
    table.string('contact_number', 20).notNullable();
    table.string('postal_code', 10).notNullable();
    uuidColumn(knex, table, 'user_id').notNullable();
    // The Idempotency-Key the order was created with, kept for support after the key expires.
    exactAsciiColumn(knex, table, 'idempotency_key', 255).nullable();
    table.datetime('created_at', { precision: 3 }).notNullable();
    table.datetime('updated_at', { precision: 3 }).notNullable();
    table.datetime('cancelled_at', { precision: 3 }).nullable();
    table.check("?? in ('PURCHASE', 'SALE')", ['order_type'], 'invoices_order_type_check');
    table.check(
      "?? in ('PENDING', 'ORDER_COMPLETED', 'PAYMENT_RECEIVED', 'PAYMENT_SENT', 'SHIPPED', 'ITEM_RECEIVED', 'CANCELLED')",
      ['status'],
      'invoices_status_check',
    );
  });
  await createIndexIfMissing(knex, 'invoices', 'invoices_order_number_unique', ['order_number'], { unique: true });
  // A USER's list, newest first (and its COUNT): a range of one user's rows.
  await createIndexIfMissing(knex, 'invoices', 'invoices_user_id_created_at_id_index', ['user_id', 'created_at', 'id']);
  // ADMIN lists: all orders, or one business day (a created_at range), newest first.
  await createIndexIfMissing(knex, 'invoices', 'invoices_created_at_id_index', ['created_at', 'id']);
  // ADMIN lists filtered by status and/or order type, with or without a day: each filter
  // combination is an index prefix followed by the created_at range, so the page and its
  // COUNT read only matching index entries.
  await createIndexIfMissing(knex, 'invoices', 'invoices_status_created_at_id_index', ['status', 'created_at', 'id']);
  await createIndexIfMissing(knex, 'invoices', 'invoices_order_type_created_at_id_index', [
    'order_type',
    'created_at',
    'id',
  ]);
  await createIndexIfMissing(knex, 'invoices', 'invoices_order_type_status_created_at_id_index', [
    'order_type',
    'status',
    'created_at',
    'id',
  ]);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('invoices');
}
