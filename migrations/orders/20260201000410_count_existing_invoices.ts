import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import { toDbTime } from '../../common/src/db-time';

/**
 * Fills invoice_counts for the orders that existed before it. Data only, so it runs in the
 * migration's transaction on both databases; recomputed from scratch, so re-runnable.
 * (Orders bulk-loaded outside the API later need the same recount.)
 */
export async function up(knex: Knex): Promise<void> {
  await knex('invoice_counts').delete();
  const groups: Array<{ user_id: string; order_type: string; status: string; total: number | string }> = await knex(
    'invoices',
  )
    .select('user_id', 'order_type', 'status')
    .count({ total: '*' })
    .groupBy('user_id', 'order_type', 'status');
  const now = toDbTime(new Date());
  for (let start = 0; start < groups.length; start += 500) {
    await knex('invoice_counts').insert(
      groups
        .slice(start, start + 500)
        .map((group) => ({ id: uuidv7(), ...group, total: Number(group.total), created_at: now, updated_at: now })),
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex('invoice_counts').delete();
}
