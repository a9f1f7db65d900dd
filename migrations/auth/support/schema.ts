import type { Knex } from 'knex';
import { isMySqlKnex } from '../../../common/src/database';

// Helpers that make each migration re-runnable: MySQL commits DDL as it goes, so a
// migration that failed half-way must be able to run again and finish the job.
// (This folder is not a migration: the migration source reads only the files beside it.)

export async function createTableIfMissing(
  knex: Knex,
  table: string,
  build: (table: Knex.CreateTableBuilder) => void,
): Promise<void> {
  if (!(await knex.schema.hasTable(table))) await knex.schema.createTable(table, build);
}

async function hasIndex(knex: Knex, table: string, index: string): Promise<boolean> {
  if (isMySqlKnex(knex)) {
    const rows: unknown[] = await knex('information_schema.statistics')
      .where({ table_schema: knex.raw('database()'), table_name: table, index_name: index })
      .select('index_name');
    return rows.length > 0;
  }
  const rows: unknown[] = await knex('sqlite_master').where({ type: 'index', tbl_name: table, name: index });
  return rows.length > 0;
}

export async function createIndexIfMissing(
  knex: Knex,
  table: string,
  index: string,
  columns: string[],
  options: { unique?: boolean } = {},
): Promise<void> {
  if (await hasIndex(knex, table, index)) return;
  await knex.schema.alterTable(table, (builder) => {
    if (options.unique) builder.unique(columns, { indexName: index });
    else builder.index(columns, index);
  });
}
