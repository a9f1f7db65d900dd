import type { Knex } from 'knex';
import { createIndexIfMissing, createTableIfMissing } from '../auth/support/schema';
import { moneyColumn, uuidColumn } from './support/columns';

/**
 * Gold products and their current prices per gram (KRW). The product types are a closed
 * enum of the contract, so products are never retired and the table has no deleted_at.
 * Prices change in place; every order keeps a snapshot of the price it was created with.
 */
export async function up(knex: Knex): Promise<void> {
  await createTableIfMissing(knex, 'products', (table) => {
    uuidColumn(knex, table, 'id').primary();
    table.string('product_type', 20).notNullable();
    moneyColumn(knex, table, 'purchase_price_per_gram', 10).notNullable();
    moneyColumn(knex, table, 'sale_price_per_gram', 10).notNullable();
    table.string('currency', 3).notNullable().defaultTo('KRW');
    table.datetime('created_at', { precision: 3 }).notNullable();
    table.datetime('updated_at', { precision: 3 }).notNullable();
  });
  await createIndexIfMissing(knex, 'products', 'products_product_type_unique', ['product_type'], { unique: true });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('products');
}
