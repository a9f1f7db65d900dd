import { v7 as uuidv7 } from 'uuid';
import { toDbTime } from '../../../common/src/db-time';
import type { SqlDatabase } from '../../../common/src/sql/database';
import type { InvoiceRecord } from '../../src/orders/order-records';
import { OrderRepository } from '../../src/orders/order-repository';
import type { OrderStatus, OrderType } from '../../src/orders/types';

/**
 * Writes an order through the repository with a chosen creation time, for tests about
 * time (the business-day filter) that cannot wait for the clock.
 */
export async function insertOrderAt(
  db: SqlDatabase,
  options: { userId: string; createdAt: Date; orderType?: OrderType; status?: OrderStatus },
): Promise<InvoiceRecord> {
  const at = toDbTime(options.createdAt);
  const orderType = options.orderType ?? 'PURCHASE';
  const day = at.slice(0, 10).replaceAll('-', '');
  const invoice: InvoiceRecord = {
    id: uuidv7({ msecs: options.createdAt.getTime() }),
    order_number: `${orderType === 'PURCHASE' ? 'P' : 'S'}-${day}-${uuidv7()
      .slice(-8)
      .toUpperCase()
      .replace(/[^0-9A-Z]/g, '0')}`,
    order_type: orderType,
    status: options.status ?? 'PENDING',
    product_type: 'GOLD_999',
    quantity: '1.00',
    price_per_gram: '100000.00',
    total_price: '100000.00',
    currency: 'KRW',
    delivery_address: '1 Sejong-daero, Jung-gu, Seoul',
    recipient_name: 'Lee Jiwoo',
    contact_number: '02-120',
    postal_code: '04524',
    user_id: options.userId,
    idempotency_key: null,
    created_at: at,
    updated_at: at,
    cancelled_at: null,
  };
  const outcome = await new OrderRepository(db).insert({
    invoice,
    history: [
      {
        id: uuidv7({ msecs: options.createdAt.getTime() }),
        invoice_id: invoice.id,
        from_status: null,
        to_status: invoice.status,
        changed_by: options.userId,
        changed_at: at,
        created_at: at,
        updated_at: at,
      },
    ],
  });
  if (outcome.kind !== 'inserted') throw new Error(`order not written: ${outcome.kind}`);
  return invoice;
}
