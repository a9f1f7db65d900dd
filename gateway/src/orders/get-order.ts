import type { Principal } from '../auth/principal';
import { ProblemError } from '../http/problem';
import type { OrdersDeps } from './deps';
import { presentOrder, type StoredOrder } from './order-records';
import { assertMayAccess } from './order-rules';
import type { Order } from './types';

/** The order with this id, or 404. UUIDs are case-insensitive; ids are stored in lower case. */
export async function findExistingOrder(deps: OrdersDeps, orderId: string): Promise<StoredOrder> {
  const stored = await deps.orders.find(orderId.toLowerCase());
  if (!stored) throw new ProblemError('not-found', 'No order with this id.');
  return stored;
}

/** GET /orders/{id}: 404, then 403 when a USER asks for another user's order. */
export async function getOrder(deps: OrdersDeps, actor: Principal, orderId: string): Promise<Order> {
  const stored = await findExistingOrder(deps, orderId);
  const { invoice } = stored;
  assertMayAccess(actor, { userId: invoice.user_id, orderType: invoice.order_type, status: invoice.status });
  return presentOrder(stored);
}
