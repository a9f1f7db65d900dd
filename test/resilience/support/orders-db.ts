import type { Knex } from 'knex';

/**
 * What is wrong with the per-user order counters kept beside the orders (one row per
 * user, order type and status, written in the same transaction as each order and status
 * change), recounted from the orders themselves: a counter no request should have moved,
 * or a change half-written. Empty when the schema keeps no such counters.
 */
export async function orderCounterErrors(db: Knex): Promise<string[]> {
  if (!(await db.schema.hasTable('invoice_counts'))) return [];
  const grouped =
    'select user_id, order_type, status, count(*) as n from invoices group by user_id, order_type, status';
  const [rows] = (await db.raw(
    `select c.user_id, c.order_type, c.status, c.total as counted, coalesce(o.n, 0) as actual
       from invoice_counts c
       left join (${grouped}) o on o.user_id = c.user_id and o.order_type = c.order_type and o.status = c.status
     union all
     select o.user_id, o.order_type, o.status, 0, o.n
       from (${grouped}) o
      where not exists (select 1 from invoice_counts c
                         where c.user_id = o.user_id and c.order_type = o.order_type and c.status = o.status)`,
  )) as [Array<{ user_id: string; order_type: string; status: string; counted: string; actual: string }>];
  return rows
    .filter((row) => Number(row.counted) !== Number(row.actual))
    .map((row) => `${row.user_id} ${row.order_type} ${row.status}: counted ${row.counted}, actual ${row.actual}`);
}
