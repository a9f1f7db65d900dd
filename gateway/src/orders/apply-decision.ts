import { uuidv7 } from '../../../common/src/uuid';
import { toDbTime } from '../../../common/src/db-time';
import type { Principal } from '../auth/principal';
import type { OrdersDeps } from './deps';
import { findExistingOrder } from './get-order';
import type { Decision, OrderState } from './order-rules';
import { presentOrder } from './presenter';
import { applyStatusChange, type HistoryRow } from './repository';
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
    const { invoice, history } = await findExistingOrder(deps, orderId);
    const decision = rule(actor, { userId: invoice.user_id, orderType: invoice.order_type, status: invoice.status });
    if (decision.kind === 'unchanged') return presentOrder(invoice, history);
    const at = toDbTime(new Date());
    const entry: HistoryRow = {
      id: uuidv7(),
      invoice_id: invoice.id,
      from_status: invoice.status,
      to_status: decision.to,
      changed_by: actor.userId,
      changed_at: at,
      created_at: at,
      updated_at: at,
    };
    if (await applyStatusChange(deps.db, { invoice, to: decision.to, history: entry })) {
      const cancelledAt = decision.to === 'CANCELLED' ? at : invoice.cancelled_at;
      return presentOrder({ ...invoice, status: decision.to, updated_at: at, cancelled_at: cancelledAt }, [
        ...history,
        entry,
      ]);
    }
  }
}
