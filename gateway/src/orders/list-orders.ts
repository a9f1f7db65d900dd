import { toDbTime } from '../../../common/src/db-time';
import type { Principal } from '../auth/principal';
import type { OrdersDeps } from './deps';
import { presentOrder } from './order-records';
import type { OrderFilter } from './order-repository';
import type { OrderPage, OrderStatus, OrderType } from './types';

/** The list query after validation (the contract's defaults applied). */
export interface ListQuery {
  date?: string;
  orderType?: OrderType;
  status?: OrderStatus;
  limit: number;
  offset: number;
}

/**
 * GET /orders: a USER's own orders (keyed by user id) or, for an ADMIN, everyone's; newest
 * first, with the count of all that match.
 */
export async function listOrders(deps: OrdersDeps, actor: Principal, query: ListQuery): Promise<OrderPage> {
  const filter: OrderFilter = {
    userId: actor.role === 'ADMIN' ? undefined : actor.userId,
    orderType: query.orderType,
    status: query.status,
  };
  if (query.date !== undefined) {
    const day = deps.calendar.dayRange(query.date);
    filter.createdFrom = toDbTime(day.start);
    filter.createdBefore = toDbTime(day.end);
  }
  const { orders, total } = await deps.orders.findPage(filter, query.limit, query.offset);
  return {
    data: orders.map(presentOrder),
    page: { limit: query.limit, offset: query.offset, total },
    links: {
      next: query.offset + query.limit < total ? pageLink(query, query.offset + query.limit) : null,
      previous: query.offset > 0 ? pageLink(query, Math.max(0, query.offset - query.limit)) : null,
    },
  };
}

/** A relative URL of another page with the same filters. */
function pageLink(query: ListQuery, offset: number): string {
  const params = new URLSearchParams();
  if (query.date !== undefined) params.set('date', query.date);
  if (query.orderType !== undefined) params.set('orderType', query.orderType);
  if (query.status !== undefined) params.set('status', query.status);
  params.set('limit', String(query.limit));
  params.set('offset', String(offset));
  return `/orders?${params.toString()}`;
}
