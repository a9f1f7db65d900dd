import type { components } from '../../../generated/openapi';

/** The contract's shapes, as the orders feature uses them. */
export type Order = components['schemas']['Order'];
export type OrderPage = components['schemas']['OrderPage'];
export type OrderType = components['schemas']['OrderType'];
export type OrderStatus = components['schemas']['OrderStatus'];
export type ProductType = components['schemas']['ProductType'];
export type CreateOrderBody = components['schemas']['CreateOrder'];
export type StatusHistoryEntry = components['schemas']['StatusHistoryEntry'];
