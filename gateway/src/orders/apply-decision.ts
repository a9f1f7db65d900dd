import { toDbTime } from '../../../common/src/db-time';
import type { Principal } from '../auth/principal';
import { uuidv7 } from '../ids/uuid';
import type { OrdersDeps } from './deps';
import { findExistingOrder } from './get-order';
import { presentOrder, type HistoryRecord } from './order-records';
import type { Decision, OrderState } from './order-rules';
import type { Order } from './types';

/** The rule a request is judged by, against the order as it is now (throws 403/400). */
export type Rule = (actor: Principal, order: OrderState) => Decision;

/**
 * Reads the order (404 if absent), judges the request against its current state and
 * applies the outcome with a conditional update. When another change wins the race, the
 * order is read again and the request judged anew, so it gets the answer it would have
 * got after the other change. States never repeat, so this ends within a few rounds.
 */
export async function applyDecision(deps: OrdersDeps, actor: Principal, orderId: string, rule: Rule): Promise<Order> {
  for (;;) {
    const stored = await findExistingOrder(deps, orderId);
    const { invoice, history } = stored;
    const decision = rule(actor, { userId: invoice.user_id, orderType: invoice.order_type, status: invoice.status });
    if (decision.kind === 'unchanged') return presentOrder(stored);
    const at = toDbTime(new Date());
    const entry: HistoryRecord = {
      id: uuidv7(),
      invoice_id: invoice.id,
      from_status: invoice.status,
      to_status: decision.to,
      changed_by: actor.userId,
      changed_at: at,
      created_at: at,
      updated_at: at,
    };
    if (await deps.orders.changeStatus(invoice, decision.to, entry)) {
      const cancelledAt = decision.to === 'CANCELLED' ? at : invoice.cancelled_at;
      return presentOrder({
        invoice: { ...invoice, status: decision.to, updated_at: at, cancelled_at: cancelledAt },
        history: [...history, entry],
      });
    }
  }
}
