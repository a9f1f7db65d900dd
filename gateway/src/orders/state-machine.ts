import type { OrderStatus, OrderType } from './types';

/**
 * The only forward arrows, for everyone:
 *   PURCHASE: PENDING → ORDER_COMPLETED → PAYMENT_RECEIVED → SHIPPED
 *   SALE:     PENDING → ORDER_COMPLETED → PAYMENT_SENT     → ITEM_RECEIVED
 */
const nextStatus: Record<OrderType, Partial<Record<OrderStatus, OrderStatus>>> = {
  PURCHASE: { PENDING: 'ORDER_COMPLETED', ORDER_COMPLETED: 'PAYMENT_RECEIVED', PAYMENT_RECEIVED: 'SHIPPED' },
  SALE: { PENDING: 'ORDER_COMPLETED', ORDER_COMPLETED: 'PAYMENT_SENT', PAYMENT_SENT: 'ITEM_RECEIVED' },
};

/** CANCELLED is reached only by cancelling (DELETE), from these states. */
const cancellable: ReadonlySet<OrderStatus> = new Set([
  'PENDING',
  'ORDER_COMPLETED',
  'PAYMENT_RECEIVED',
  'PAYMENT_SENT',
]);

export function isForwardTransition(orderType: OrderType, from: OrderStatus, to: OrderStatus): boolean {
  return nextStatus[orderType][from] === to;
}

export function isCancellable(status: OrderStatus): boolean {
  return cancellable.has(status);
}
