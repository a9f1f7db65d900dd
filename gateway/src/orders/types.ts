import type { components } from '../../../generated/openapi';

/** The contract's shapes, as the orders feature uses them. */
export type Order = components['schemas']['Order'];
export type OrderPage = components['schemas']['OrderPage'];
export type OrderType = components['schemas']['OrderType'];
export type OrderStatus = components['schemas']['OrderStatus'];
export type ProductType = components['schemas']['ProductType'];
export type CreateOrderBody = components['schemas']['CreateOrder'];
export type StatusHistoryEntry = components['schemas']['StatusHistoryEntry'];

/** The values of the contract's closed sets, as records keyed by them (the compiler checks both ways). */
export const orderTypes: Readonly<Record<OrderType, true>> = { PURCHASE: true, SALE: true };

export const orderStatuses: Readonly<Record<OrderStatus, true>> = {
  PENDING: true,
  ORDER_COMPLETED: true,
  PAYMENT_RECEIVED: true,
  PAYMENT_SENT: true,
  SHIPPED: true,
  ITEM_RECEIVED: true,
  CANCELLED: true,
};

export const productTypes: Readonly<Record<ProductType, true>> = { GOLD_999: true, GOLD_9999: true };
