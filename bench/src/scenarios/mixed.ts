import { bearer, purchaseBody, type Account } from '../api';
import type { BenchContext } from '../context';
import { ensureReadOrders } from './setup';
import { measureHttp, renewTokens, roundRobin, systemRoles } from '../context';
import { runHttpLoad, type HttpRequestSpec } from '../http-load';
import { measure } from '../measure';
import { RssSampler } from '../proc-stats';
import { verifyPurchases } from '../orders-data';
import { orderIdOf, PurchaseLedger } from './writes';

type Kind = 'get' | 'list' | 'create' | 'status';

/**
 * 80% reads (three quarters GET /orders/{id}, a quarter GET /orders?limit=10), 15%
 * purchases with an Idempotency-Key, 5% status changes (the owner confirming a
 * PENDING order it created during the load). A fixed, interleaved cycle of 20 keeps
 * the shares exact.
 */
const cycle: Kind[] = [
  'get',
  'list',
  'get',
  'create',
  'get',
  'get',
  'list',
  'get',
  'create',
  'status',
  'get',
  'list',
  'get',
  'get',
  'create',
  'get',
  'list',
  'get',
  'get',
  'get',
];

interface MixedContext {
  kind?: Kind;
  key?: string;
  account?: Account;
}

export function mixedRequest(ctx: BenchContext, ledger: PurchaseLedger): HttpRequestSpec {
  const nextKind = roundRobin(cycle);
  const reads = ctx.readUsers.flatMap((user) => user.orderIds.map((id) => ({ account: user.account, id })));
  reads.sort((a, b) => a.id.localeCompare(b.id));
  const nextRead = roundRobin(reads);
  const nextUser = roundRobin(ctx.readUsers.map((user) => user.account));
  /** Orders created during the load and still PENDING, with their owner. */
  const pending: Array<{ account: Account; id: string }> = [];
  const createBody = purchaseBody();
  const confirmBody = JSON.stringify({ status: 'ORDER_COMPLETED' });
  return {
    setupRequest: (request, context) => {
      const kind = nextKind();
      const state = context as MixedContext;
      state.kind = kind;
      if (kind === 'get') {
        const { account, id } = nextRead();
        return { ...request, method: 'GET', path: `/orders/${id}`, headers: { authorization: bearer(account) } };
      }
      if (kind === 'list') {
        return { ...request, method: 'GET', path: '/orders?limit=10', headers: { authorization: bearer(nextUser()) } };
      }
      if (kind === 'create') {
        const account = nextUser();
        state.key = ledger.nextKey();
        state.account = account;
        return {
          ...request,
          method: 'POST',
          path: '/orders/purchase',
          body: createBody,
          headers: { authorization: bearer(account), 'content-type': 'application/json', 'idempotency-key': state.key },
        };
      }
      // Confirm the oldest PENDING order of the load (a real transition), or, before any
      // exists, ask for a read order's current confirmation (a no-op after the first).
      const target = pending.shift() ?? nextRead();
      return {
        ...request,
        method: 'PATCH',
        path: `/orders/${target.id}/status`,
        body: confirmBody,
        headers: { authorization: bearer(target.account), 'content-type': 'application/json' },
      };
    },
    onResponse: (status, body, context) => {
      const state = context as MixedContext;
      if (state.kind !== 'create' || state.key === undefined) return;
      ledger.answered(state.key, status, body);
      if (status === 201 && state.account) pending.push({ account: state.account, id: orderIdOf(body) });
    },
  };
}

export async function mixed(ctx: BenchContext): Promise<void> {
  await ensureReadOrders(ctx);
  await renewTokens(ctx);
  const ledger = new PurchaseLedger();
  await measureHttp(ctx, 'mixed', { requests: [mixedRequest(ctx, ledger)] });
  ctx.facts.mixedPurchaseCheck = await verifyPurchases(ctx, ledger);
}

/**
 * The mixed load for `memorySeconds` after a warm-up, RSS sampled every 5 s: growth is
 * the mean of the last minute (or last fifth) over the mean of the first.
 */
export async function memory(ctx: BenchContext): Promise<void> {
  await ensureReadOrders(ctx);
  await renewTokens(ctx);
  const ledger = new PurchaseLedger();
  const seconds = ctx.profile.memorySeconds;
  const intervalMs = ctx.profile.mode === 'full' ? 5000 : 1000;
  let sampler: RssSampler | undefined;
  const load = {
    baseUrl: ctx.system.apiUrl,
    connections: ctx.profile.connections,
    requests: [mixedRequest(ctx, ledger)],
  };
  const measurement = await measure({
    name: 'memory',
    watched: ctx.system.watched,
    systemRoles,
    dbThreads: ctx.system.dbThreads,
    warmupSeconds: Math.max(ctx.profile.warmupSeconds, ctx.profile.mode === 'full' ? 30 : 2),
    runs: 1,
    runSeconds: seconds,
    load: async (runSeconds, measured) => {
      if (measured)
        sampler = new RssSampler({ gateway: ctx.system.gateway.pid, auth: ctx.system.auth.pid }, intervalMs, true);
      try {
        return await runHttpLoad(load, runSeconds);
      } finally {
        sampler?.stop();
      }
    },
    log: ctx.log,
  });
  ctx.results.memory = measurement;
  const series = sampler?.series ?? [];
  const window = Math.max(1, Math.min(Math.round(60_000 / intervalMs), Math.floor(series.length / 5)));
  const growth: Record<string, { startMb: number; endMb: number; peakMb: number; growth: number }> = {};
  for (const role of ['gateway', 'auth']) {
    const values = series.map((sample) => sample.rss[role]).filter((value) => value !== undefined);
    const mean = (part: number[]) => part.reduce((sum, value) => sum + value, 0) / part.length;
    const startMb = mean(values.slice(0, window));
    const endMb = mean(values.slice(-window));
    growth[role] = { startMb, endMb, peakMb: Math.max(...values), growth: endMb / startMb - 1 };
  }
  ctx.facts.memoryPurchaseCheck = await verifyPurchases(ctx, ledger);
  ctx.facts.memory = { seconds, sampleIntervalMs: intervalMs, windowSamples: window, roles: growth, series };
}
