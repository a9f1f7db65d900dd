import type { Principal } from '../auth/principal';
import { ProblemError } from '../http/problem';
import { isCancellable, isForwardTransition } from './state-machine';
import type { OrderStatus, OrderType } from './types';

/** What the rules need to know about an order. */
export interface OrderState {
  userId: string;
  orderType: OrderType;
  status: OrderStatus;
}

/** What a status change or cancel request amounts to, once it may be made at all. */
export type Decision = { kind: 'apply'; to: OrderStatus } | { kind: 'unchanged' };

/** A USER acts only on their own orders; an ADMIN on any (403 otherwise). */
export function assertMayAccess(actor: Principal, order: OrderState): void {
  if (actor.role !== 'ADMIN' && order.userId !== actor.userId) {
    throw new ProblemError('forbidden', 'This order belongs to another user.');
  }
}

/**
 * PATCH /orders/{id}/status after the order was found: 403 (not yours, or a status a USER
 * may not set) before 400 (not an arrow of the state machine). Asking for the current
 * status is a no-op, except CANCELLED, which only DELETE reaches.
 */
export function decideStatusChange(actor: Principal, order: OrderState, requested: OrderStatus): Decision {
  assertMayAccess(actor, order);
  if (actor.role !== 'ADMIN' && requested !== 'ORDER_COMPLETED') {
    throw new ProblemError('forbidden', 'A customer may only confirm an order; staff set the other statuses.');
  }
  if (requested === 'CANCELLED') {
    throw new ProblemError('invalid-status-transition', 'Orders are cancelled with DELETE /orders/{orderId}.');
  }
  if (requested === order.status) return { kind: 'unchanged' };
  if (!isForwardTransition(order.orderType, order.status, requested)) {
    throw new ProblemError(
      'invalid-status-transition',
      'The order cannot move from its current status to the requested one.',
    );
  }
  return { kind: 'apply', to: requested };
}

/** DELETE /orders/{id} after the order was found: 403, then 400 when it is past cancelling. */
export function decideCancel(actor: Principal, order: OrderState): Decision {
  assertMayAccess(actor, order);
  if (order.status === 'CANCELLED') return { kind: 'unchanged' };
  if (!isCancellable(order.status)) {
    throw new ProblemError('order-not-cancellable', 'The order is past the point where it can be cancelled.');
  }
  return { kind: 'apply', to: 'CANCELLED' };
}
