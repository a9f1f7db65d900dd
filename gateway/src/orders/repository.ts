import type { Knex } from 'knex';
import type { OrderStatus, OrderType, ProductType } from './types';

/** A row of `invoices` (one per order). Money is fixed two-place text; times are UTC DATETIME(3) text. */
export interface InvoiceRow {
  id: string;
  order_number: string;
  order_type: OrderType;
  status: OrderStatus;
  product_type: ProductType;
  quantity: string;
  price_per_gram: string;
  total_price: string;
  currency: 'KRW';
  delivery_address: string;
  recipient_name: string;
  contact_number: string;
  postal_code: string;
  user_id: string;
  idempotency_key: string | null;
  created_at: string;
  updated_at: string;
  cancelled_at: string | null;
}

/** A row of `invoice_status_history`. */
export interface HistoryRow {
  id: string;
  invoice_id: string;
  from_status: OrderStatus | null;
  to_status: OrderStatus;
  changed_by: string;
  changed_at: string;
  created_at: string;
  updated_at: string;
}

export interface StoredOrder {
  invoice: InvoiceRow;
  /** Oldest first. */
  history: HistoryRow[];
}

/** Filters of a list, already resolved: a business day is a created_at range [from, before). */
export interface OrderFilter {
  userId?: string;
  orderType?: OrderType;
  status?: OrderStatus;
  createdFrom?: string;
  createdBefore?: string;
}

const invoiceColumns: ReadonlyArray<keyof InvoiceRow> = [
  'id',
  'order_number',
  'order_type',
  'status',
  'product_type',
  'quantity',
  'price_per_gram',
  'total_price',
  'currency',
  'delivery_address',
  'recipient_name',
  'contact_number',
  'postal_code',
  'user_id',
  'idempotency_key',
  'created_at',
  'updated_at',
  'cancelled_at',
];

const newestFirst = [
  { column: 'created_at', order: 'desc' },
  { column: 'id', order: 'desc' },
] as const;

export function insertInvoice(trx: Knex.Transaction, invoice: InvoiceRow): Promise<unknown> {
  return trx('invoices').insert(invoice);
}

export function insertHistory(trx: Knex.Transaction, entry: HistoryRow): Promise<unknown> {
  return trx('invoice_status_history').insert(entry);
}

/**
 * An order and its history in one round trip (GET /orders/{id} is the hottest route): the
 * primary-key row joined to its few history rows.
 */
export async function findOrder(db: Knex, id: string): Promise<StoredOrder | undefined> {
  const rows = (await db('invoices as i')
    .leftJoin('invoice_status_history as h', 'h.invoice_id', 'i.id')
    .where('i.id', id)
    .select([
      ...invoiceColumns.map((column) => `i.${column}`),
      'h.id as h_id',
      'h.from_status as h_from_status',
      'h.to_status as h_to_status',
      'h.changed_by as h_changed_by',
      'h.changed_at as h_changed_at',
      'h.created_at as h_created_at',
      'h.updated_at as h_updated_at',
    ])
    .orderBy([
      { column: 'h.changed_at', order: 'asc' },
      { column: 'h.id', order: 'asc' },
    ])) as Array<InvoiceRow & Record<`h_${keyof Omit<HistoryRow, 'invoice_id'>}`, string | null>>;
  if (rows.length === 0) return undefined;
  const invoice = {} as Record<string, unknown>;
  for (const column of invoiceColumns) invoice[column] = rows[0][column];
  const history: HistoryRow[] = rows
    .filter((row) => row.h_id !== null)
    .map((row) => ({
      id: row.h_id as string,
      invoice_id: row.id,
      from_status: row.h_from_status as OrderStatus | null,
      to_status: row.h_to_status as OrderStatus,
      changed_by: row.h_changed_by as string,
      changed_at: row.h_changed_at as string,
      created_at: row.h_created_at as string,
      updated_at: row.h_updated_at as string,
    }));
  return { invoice: invoice as unknown as InvoiceRow, history };
}

function filtered(query: Knex.QueryBuilder, filter: OrderFilter): Knex.QueryBuilder {
  if (filter.userId !== undefined) query.where('user_id', filter.userId);
  if (filter.orderType !== undefined) query.where('order_type', filter.orderType);
  if (filter.status !== undefined) query.where('status', filter.status);
  if (filter.createdFrom !== undefined) query.where('created_at', '>=', filter.createdFrom);
  if (filter.createdBefore !== undefined) query.where('created_at', '<', filter.createdBefore);
  return query;
}

/**
 * One page, newest first, ties by id. The ids of the page are found in the index alone
 * (user/status/type prefix + created_at + id) and only the page's rows are read, so a
 * large offset skips index entries rather than whole rows.
 */
export function findOrderPage(db: Knex, filter: OrderFilter, limit: number, offset: number): Promise<InvoiceRow[]> {
  const pageIds = filtered(db('invoices').select('id'), filter)
    .orderBy([...newestFirst])
    .limit(limit)
    .offset(offset);
  return db('invoices as i')
    .join(pageIds.as('p'), 'p.id', 'i.id')
    .select(invoiceColumns.map((column) => `i.${column}`))
    .orderBy([
      { column: 'i.created_at', order: 'desc' },
      { column: 'i.id', order: 'desc' },
    ]) as Promise<InvoiceRow[]>;
}

/** How many orders match: a COUNT over the same index range as the page. */
export async function countOrders(db: Knex, filter: OrderFilter): Promise<number> {
  const [row] = (await filtered(db('invoices'), filter).count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(row.n);
}

/** The histories of several orders in one query, each oldest first. */
export async function findHistories(db: Knex, invoiceIds: string[]): Promise<Map<string, HistoryRow[]>> {
  const histories = new Map<string, HistoryRow[]>(invoiceIds.map((id) => [id, []]));
  if (invoiceIds.length === 0) return histories;
  const rows = (await db('invoice_status_history')
    .whereIn('invoice_id', invoiceIds)
    .select('*')
    .orderBy([
      { column: 'invoice_id', order: 'asc' },
      { column: 'changed_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])) as HistoryRow[];
  for (const row of rows) histories.get(row.invoice_id)?.push(row);
  return histories;
}

export interface StatusChange {
  invoiceId: string;
  from: OrderStatus;
  to: OrderStatus;
  history: HistoryRow;
  /** Set when the change cancels the order. */
  cancelledAt?: string;
}

/**
 * Applies a change only if the order is still in `from` (a conditional update), together
 * with its history entry. False when another change got there first: nothing was written.
 */
export function applyStatusChange(db: Knex, change: StatusChange): Promise<boolean> {
  return db.transaction(async (trx) => {
    const updated = await trx('invoices')
      .where({ id: change.invoiceId, status: change.from })
      .update({
        status: change.to,
        updated_at: change.history.changed_at,
        ...(change.cancelledAt === undefined ? {} : { cancelled_at: change.cancelledAt }),
      });
    if (updated === 0) return false;
    await insertHistory(trx, change.history);
    return true;
  });
}
