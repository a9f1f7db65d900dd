import type { Knex } from 'knex';
import { createIndexIfMissing, createTableIfMissing } from '../auth/support/schema';
import { exactAsciiColumn, uuidColumn } from './support/columns';

/**
 * Idempotency keys of the create routes, one per (user, key). A request claims its key by
 * inserting the row (IN_FLIGHT, with a claim token); the transaction that creates the order
 * marks the row COMPLETED with the order's id, on condition that the claim is still its
 * own. Rows older than the retention period are ignored and may be deleted, which is why
 * there is no deleted_at.
 */
export async function up(knex: Knex): Promise<void> {
  await createTableIfMissing(knex, 'idempotency_keys', (table) => {
    uuidColumn(knex, table, 'id').primary();
    uuidColumn(knex, table, 'user_id').notNullable();
    exactAsciiColumn(knex, table, 'idempotency_key', 255).notNullable();
    // The create route the key was used on: PURCHASE or SALE.
    table.string('order_type', 10).notNullable();
    // SHA-256 (hex) of the request body normalized by value.
    table.string('fingerprint', 64).notNullable();
    table.string('state', 10).notNullable();
    uuidColumn(knex, table, 'claim_token').notNullable();
    uuidColumn(knex, table, 'invoice_id').nullable();
    table.datetime('created_at', { precision: 3 }).notNullable();
    table.datetime('updated_at', { precision: 3 }).notNullable();
    table.check("?? in ('IN_FLIGHT', 'COMPLETED')", ['state'], 'idempotency_keys_state_check');
  });
  await createIndexIfMissing(
    knex,
    'idempotency_keys',
    'idempotency_keys_user_id_key_unique',
    ['user_id', 'idempotency_key'],
    {
      unique: true,
    },
  );
  // Pruning expired keys.
  await createIndexIfMissing(knex, 'idempotency_keys', 'idempotency_keys_created_at_index', ['created_at']);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('idempotency_keys');
}
