import type { Principal } from '../auth/principal';
import { applyDecision } from './apply-decision';
import type { OrdersDeps } from './deps';
import { decideCancel } from './order-rules';
import type { Order } from './types';

/** DELETE /orders/{id}: the order stays, with status CANCELLED. */
export function cancelOrder(deps: OrdersDeps, actor: Principal, orderId: string): Promise<Order> {
  return applyDecision(deps, actor, orderId, decideCancel);
}
