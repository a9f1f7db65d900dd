import { inParallel } from '../api';
import type { BenchContext } from '../context';

/** Registers and logs in the read users (one per connection). */
export async function createReadUsers(ctx: BenchContext): Promise<void> {
  const accounts = await inParallel(
    Array.from({ length: ctx.profile.readUsers }, (_, index) => index),
    2,
    () => ctx.api.newUser('reader'),
  );
  ctx.readUsers = accounts.map((account) => ({ account, orderIds: [] }));
}

/**
 * Gives every read user its orders through the API (real orders with their history),
 * once, before the first scenario that reads them.
 */
export async function ensureReadOrders(ctx: BenchContext): Promise<void> {
  if (ctx.readUsers.every((user) => user.orderIds.length > 0)) return;
  await inParallel(ctx.readUsers, ctx.readUsers.length, async (user) => {
    for (let index = user.orderIds.length; index < ctx.profile.ordersPerReadUser; index += 1) {
      user.orderIds.push((await ctx.api.purchase(user.account)).id);
    }
  });
  ctx.log(`gave ${ctx.readUsers.length} users ${ctx.profile.ordersPerReadUser} orders each`);
}
