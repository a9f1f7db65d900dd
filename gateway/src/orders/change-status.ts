import type { Principal } from '../auth/principal';
import { applyDecision } from './apply-decision';
import type { OrdersDeps } from './deps';
import { decideStatusChange } from './order-rules';
import type { Order, OrderStatus } from './types';

/** PATCH /orders/{id}/status. */
export function changeStatus(deps: OrdersDeps, actor: Principal, orderId: string, status: OrderStatus): Promise<Order> {
  return applyDecision(deps, actor, orderId, (who, order) => decideStatusChange(who, order, status));
}
