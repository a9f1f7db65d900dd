import { fromDbTimeIso } from '../../../common/src/db-time';
import { integer, nullableOneOf, nullableText, oneOf, text } from '../../../common/src/sql/row';
import type { SqlRow } from '../../../common/src/sql/database';
import {
  orderStatuses,
  orderTypes,
  productTypes,
  type Order,
  type OrderStatus,
  type OrderType,
  type ProductType,
} from './types';

/** An order as `invoices` stores it. Money is fixed two-place text; times are UTC DATETIME(3) text. */
export interface InvoiceRecord {
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
export interface HistoryRecord {
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
  invoice: InvoiceRecord;
  /** Oldest first. */
  history: HistoryRecord[];
}

export const invoiceColumns = [
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
] as const satisfies ReadonlyArray<keyof InvoiceRecord>;

export const historyColumns = [
  'id',
  'invoice_id',
  'from_status',
  'to_status',
  'changed_by',
  'changed_at',
  'created_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof HistoryRecord>;

/** Columns of a joined order row: the invoice's as they are, its history entry's prefixed `h_`. */
export const joinedColumns = [
  ...invoiceColumns.map((column) => `i.${column}`),
  ...historyColumns.map((column) => `h.${column} as h_${column}`),
].join(', ');

function currencyOf(row: SqlRow): 'KRW' {
  return oneOf({ KRW: true }, row, 'currency');
}

function invoiceOf(row: SqlRow): InvoiceRecord {
  return {
    id: text(row, 'id'),
    order_number: text(row, 'order_number'),
    order_type: oneOf(orderTypes, row, 'order_type'),
    status: oneOf(orderStatuses, row, 'status'),
    product_type: oneOf(productTypes, row, 'product_type'),
    quantity: text(row, 'quantity'),
    price_per_gram: text(row, 'price_per_gram'),
    total_price: text(row, 'total_price'),
    currency: currencyOf(row),
    delivery_address: text(row, 'delivery_address'),
    recipient_name: text(row, 'recipient_name'),
    contact_number: text(row, 'contact_number'),
    postal_code: text(row, 'postal_code'),
    user_id: text(row, 'user_id'),
    idempotency_key: nullableText(row, 'idempotency_key'),
    created_at: text(row, 'created_at'),
    updated_at: text(row, 'updated_at'),
    cancelled_at: nullableText(row, 'cancelled_at'),
  };
}

/** A history entry of a joined row: its columns carry the `h_` prefix (see joinedColumns). */
function historyOf(row: SqlRow): HistoryRecord {
  const textOf = (column: (typeof historyColumns)[number]) => text(row, `h_${column}`);
  return {
    id: textOf('id'),
    invoice_id: textOf('invoice_id'),
    from_status: nullableOneOf(orderStatuses, row, 'h_from_status'),
    to_status: oneOf(orderStatuses, row, 'h_to_status'),
    changed_by: textOf('changed_by'),
    changed_at: textOf('changed_at'),
    created_at: textOf('created_at'),
    updated_at: textOf('updated_at'),
  };
}

function byTime(a: HistoryRecord, b: HistoryRecord): number {
  if (a.changed_at !== b.changed_at) return a.changed_at < b.changed_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Orders from joined rows (`joinedColumns`: one row per history entry, or one with null
 * `h_` columns for an order without history), in the rows' order, each history oldest first.
 */
export function storedOrdersOf(rows: readonly SqlRow[]): StoredOrder[] {
  const orders: StoredOrder[] = [];
  for (const row of rows) {
    let order = orders[orders.length - 1];
    if (order?.invoice.id !== row.id) {
      order = { invoice: invoiceOf(row), history: [] };
      orders.push(order);
    }
    if (row.h_id !== null) order.history.push(historyOf(row));
  }
  for (const order of orders) order.history.sort(byTime);
  return orders;
}

/** The total a page statement carried along (`page_total`). */
export function pageTotalOf(rows: readonly SqlRow[]): number | undefined {
  return rows.length === 0 ? undefined : integer(rows[0], 'page_total');
}

/**
 * The Order of the contract. Built the same way from stored records and from the records a
 * create or a status change just wrote, so a write's answer and a later read are identical.
 */
export function presentOrder({ invoice, history }: StoredOrder): Order {
  return {
    id: invoice.id,
    orderNumber: invoice.order_number,
    orderType: invoice.order_type,
    status: invoice.status,
    productType: invoice.product_type,
    quantity: invoice.quantity,
    pricePerGram: invoice.price_per_gram,
    totalPrice: invoice.total_price,
    currency: invoice.currency,
    deliveryAddress: invoice.delivery_address,
    recipientName: invoice.recipient_name,
    contactNumber: invoice.contact_number,
    postalCode: invoice.postal_code,
    userId: invoice.user_id,
    createdAt: fromDbTimeIso(invoice.created_at),
    updatedAt: fromDbTimeIso(invoice.updated_at),
    cancelledAt: invoice.cancelled_at === null ? null : fromDbTimeIso(invoice.cancelled_at),
    statusHistory: history.map((entry) => ({
      from: entry.from_status,
      to: entry.to_status,
      changedBy: entry.changed_by,
      changedAt: fromDbTimeIso(entry.changed_at),
    })),
  };
}
