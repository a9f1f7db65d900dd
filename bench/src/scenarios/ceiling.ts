import { randomUUID } from 'node:crypto';
import type { BenchContext } from '../context';
import { measureHttp } from '../context';

/** Bare Express answering an Order-shaped JSON body: every ratio is taken against this. */
export async function ceiling(ctx: BenchContext): Promise<void> {
  await measureHttp(
    ctx,
    'ceiling',
    { baseUrl: ctx.system.ceilingUrl, requests: [{ method: 'GET', path: `/orders/${randomUUID()}` }] },
    ctx.system.ceilingWatched,
  );
}
