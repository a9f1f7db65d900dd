import type { Knex } from 'knex';
import { isMySqlKnex } from '../../../common/src/database';

// Column helpers shared by the orders migrations. (This folder is not a migration: the
// migration source reads only the files beside it.)

/**
 * An exact decimal with two places. MySQL gets a DECIMAL of the given precision; SQLite
 * has no DECIMAL (NUMERIC affinity would turn values into doubles), so it stores the
 * fixed two-place text the application writes with decimal.js.
 */
export function moneyColumn(knex: Knex, table: Knex.CreateTableBuilder, name: string, precision: number) {
  return isMySqlKnex(knex) ? table.decimal(name, precision, 2) : table.text(name);
}

/**
 * Client-chosen keys compare byte for byte: `abc` and `ABC` are different keys. SQLite
 * compares text that way already; MySQL needs a binary collation (the database default is
 * usually case-insensitive). Keys are visible ASCII, so ASCII keeps the index small.
 */
export function exactAsciiColumn(knex: Knex, table: Knex.CreateTableBuilder, name: string, length: number) {
  return isMySqlKnex(knex)
    ? table.specificType(name, `varchar(${length}) character set ascii collate ascii_bin`)
    : table.string(name, length);
}

/**
 * A UUID (v7, time-ordered) as 36 characters. On MySQL they are ASCII with a binary
 * collation: smaller index entries than utf8mb4 and byte comparisons instead of collation
 * rules, in the primary key and in every secondary index that carries it.
 */
export function uuidColumn(knex: Knex, table: Knex.CreateTableBuilder, name: string) {
  return isMySqlKnex(knex)
    ? table.specificType(name, 'char(36) character set ascii collate ascii_bin')
    : table.specificType(name, 'char(36)');
}
