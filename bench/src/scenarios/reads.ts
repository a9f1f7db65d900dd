import { bearer } from '../api';
import type { HttpRequestSpec } from '../http-load';
import type { BenchContext } from '../context';
import { businessDate, measureHttp, renewTokens, roundRobin } from '../context';
import { ensureReadOrders } from './setup';

/** GET /orders/{id}: each request one read user's own order, users and orders in turn. */
export async function getOrder(ctx: BenchContext): Promise<void> {
  await ensureReadOrders(ctx);
  await renewTokens(ctx);
  await measureHttp(ctx, 'getOrder', { requests: [getOrderRequest(ctx)] });
}

export function getOrderRequest(ctx: BenchContext): HttpRequestSpec {
  const pairs = ctx.readUsers.flatMap((user) => user.orderIds.map((id) => ({ account: user.account, id })));
  // Interleave users so that consecutive requests come from different users.
  pairs.sort((a, b) => a.id.localeCompare(b.id));
  const next = roundRobin(pairs);
  return {
    method: 'GET',
    setupRequest: (request) => {
      const { account, id } = next();
      request.path = `/orders/${id}`;
      request.headers = { ...request.headers, authorization: bearer(account) };
      return request;
    },
  };
}

/** GET /orders?limit=10 as users owning `ordersPerReadUser` orders each (small table). */
export async function listOrders(ctx: BenchContext): Promise<void> {
  await ensureReadOrders(ctx);
  await renewTokens(ctx);
  const next = roundRobin(ctx.readUsers.map((user) => user.account));
  await measureHttp(ctx, 'listOrders', {
    requests: [
      {
        method: 'GET',
        path: '/orders?limit=10',
        setupRequest: (request) => {
          request.headers = { ...request.headers, authorization: bearer(next()) };
          return request;
        },
      },
    ],
  });
}

/** ADMIN: GET /orders?date=<today>&limit=10 on the small table (today holds every order so far). */
export async function adminListOrders(ctx: BenchContext): Promise<void> {
  await ensureReadOrders(ctx);
  await renewTokens(ctx);
  const date = businessDate(new Date());
  ctx.facts.adminListDate = date;
  await measureHttp(ctx, 'adminListOrders', {
    requests: [{ method: 'GET', path: `/orders?date=${date}&limit=10`, headers: { authorization: bearer(ctx.admin) } }],
  });
}
