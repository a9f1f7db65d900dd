import { inParallel, type Account, type Api } from '../api';
import type { BenchContext, ReadUser } from '../context';
import type { Profile } from '../profile';

/**
 * Registers and logs in every user the scenarios act as, before any load: the read
 * users (one per connection), the login users and the large table's owner.
 */
export async function createUsers(
  api: Api,
  profile: Profile,
): Promise<{ readUsers: ReadUser[]; loginAccounts: Account[]; largeTableOwner: Account }> {
  let nextAddress = 0;
  // Each user is a client of its own (127.0.1.1, 127.0.1.2, ...), as customers are.
  const newUsers = (count: number, prefix: string) =>
    inParallel(
      Array.from({ length: count }, (_, index) => index),
      2,
      () => {
        nextAddress += 1;
        return api.newUser(prefix, `127.0.${1 + Math.floor(nextAddress / 250)}.${1 + (nextAddress % 250)}`);
      },
    );
  const readUsers = (await newUsers(profile.readUsers, 'reader')).map((account) => ({ account, orderIds: [] }));
  const loginAccounts = await newUsers(profile.loginUsers, 'login');
  const [largeTableOwner] = await newUsers(1, 'bigowner');
  return { readUsers, loginAccounts, largeTableOwner };
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
