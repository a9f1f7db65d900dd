import { fromDbTimeIso } from '../../../common/src/db-time';
import type { HistoryRow, InvoiceRow } from './repository';
import type { Order, StatusHistoryEntry } from './types';

export function presentHistoryEntry(row: HistoryRow): StatusHistoryEntry {
  return {
    from: row.from_status,
    to: row.to_status,
    changedBy: row.changed_by,
    changedAt: fromDbTimeIso(row.changed_at),
  };
}

/**
 * The Order of the contract. Built the same way from a stored row and from the row a create
 * just wrote, so a create's answer and a later read are identical.
 */
export function presentOrder(invoice: InvoiceRow, history: HistoryRow[]): Order {
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
    statusHistory: history.map(presentHistoryEntry),
  };
}
