import { bearer } from '../api';
import type { BenchContext } from '../context';
import { measureHttp, renewTokens } from '../context';

/** What the large-table seed left behind for the list scenarios. */
export interface LargeTable {
  invoices: number;
  /** Orders of the owner (BenchContext.largeTableOwner). */
  ownerInvoices: number;
  /** A past business day of the seeded range, for the ADMIN date filter. */
  date: string;
  /** Invoices on that day. */
  invoicesOnDate: number;
  seedSeconds: number;
  /** How long MariaDB then took to finish its background work. */
  settleSeconds: number;
}

function largeTable(ctx: BenchContext): LargeTable {
  const table = ctx.facts.largeTable as LargeTable | undefined;
  if (!table) throw new Error('the large table was not seeded');
  return table;
}

/** The same list as listOrders, as a user owning 10,000 of the 1,000,000 invoices. */
export async function listOrdersLarge(ctx: BenchContext): Promise<void> {
  largeTable(ctx);
  await renewTokens(ctx);
  const owner = ctx.largeTableOwner;
  await measureHttp(ctx, 'listOrdersLarge', {
    requests: [{ method: 'GET', path: '/orders?limit=10', headers: { authorization: bearer(owner) } }],
  });
}

/** ADMIN list of one past day of the large table (newest first, with the day's total). */
export async function adminListOrdersLarge(ctx: BenchContext): Promise<void> {
  const { date } = largeTable(ctx);
  await renewTokens(ctx);
  await measureHttp(ctx, 'adminListOrdersLarge', {
    requests: [{ method: 'GET', path: `/orders?date=${date}&limit=10`, headers: { authorization: bearer(ctx.admin) } }],
  });
}
