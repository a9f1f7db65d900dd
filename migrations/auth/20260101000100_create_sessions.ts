import type { Knex } from 'knex';
import { createIndexIfMissing, createTableIfMissing } from './support/schema';

/**
 * Sessions: one row per login, holding the SHA-256 digest of its current refresh
 * token only. No foreign key to users: the schema stays ready for sharded
 * MySQL-compatible engines (Vitess, TiDB) where cross-table constraints are not
 * available; the service only creates sessions for existing users and never deletes users.
 */
export async function up(knex: Knex): Promise<void> {
  await createTableIfMissing(knex, 'sessions', (table) => {
    table.string('id', 36).primary();
    table.string('user_id', 36).notNullable();
    table.string('refresh_token_hash', 64).notNullable();
    table.datetime('refresh_expires_at', { precision: 3 }).notNullable();
    table.datetime('revoked_at', { precision: 3 }).nullable();
    table.string('revoke_reason', 32).nullable();
    table.datetime('last_used_at', { precision: 3 }).notNullable();
    table.datetime('created_at', { precision: 3 }).notNullable();
    table.datetime('updated_at', { precision: 3 }).notNullable();
  });
  // Revoking every session of a user (password reset).
  await createIndexIfMissing(knex, 'sessions', 'sessions_user_id_index', ['user_id']);
  // Purging sessions whose refresh token has expired.
  await createIndexIfMissing(knex, 'sessions', 'sessions_refresh_expires_at_index', ['refresh_expires_at']);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('sessions');
}
