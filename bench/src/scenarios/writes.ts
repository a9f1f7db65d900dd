import { randomBytes } from 'node:crypto';
import { bearer, purchaseBody, type Account } from '../api';
import type { BenchContext } from '../context';
import { ensureReadOrders } from './setup';
import { measureHttp, renewTokens, roundRobin } from '../context';
import type { HttpRequestSpec } from '../http-load';
import { verifyPurchases } from '../orders-data';

/** What the purchase load saw, key by key, for the check against the stored orders. */
export class PurchaseLedger {
  readonly tag = `bench-${randomBytes(4).toString('hex')}`;
  private sequence = 0;
  /** Idempotency key -> order ids of its 201 answers (a retried key may answer twice). */
  readonly created = new Map<string, Set<string>>();
  /** Idempotency key -> statuses of its other answers. */
  readonly failed = new Map<string, number[]>();
  sent = 0;

  nextKey(): string {
    this.sent += 1;
    this.sequence += 1;
    return `${this.tag}-${this.sequence}`;
  }

  answered(key: string, status: number, body: string): void {
    if (status === 201) {
      const id = (JSON.parse(body) as { id: string }).id;
      const ids = this.created.get(key) ?? new Set<string>();
      ids.add(id);
      this.created.set(key, ids);
    } else {
      this.failed.set(key, [...(this.failed.get(key) ?? []), status]);
    }
  }
}

interface KeyedContext {
  key?: string;
}

/** POST /orders/purchase with a fresh Idempotency-Key per request, users in turn. */
export function purchaseRequest(
  accounts: Account[],
  ledger: PurchaseLedger,
  onCreated?: (account: Account, id: string) => void,
): HttpRequestSpec {
  const next = roundRobin(accounts);
  const body = purchaseBody();
  return {
    method: 'POST',
    path: '/orders/purchase',
    setupRequest: (request, context) => {
      const account = next();
      const key = ledger.nextKey();
      Object.assign(context as KeyedContext, { key, account });
      request.body = body;
      request.headers = {
        ...request.headers,
        'content-type': 'application/json',
        'idempotency-key': key,
        authorization: bearer(account),
      };
      return request;
    },
    onResponse: (status, responseBody, context) => {
      const { key, account } = context as KeyedContext & { account?: Account };
      if (key === undefined) return;
      ledger.answered(key, status, responseBody);
      if (status === 201 && onCreated && account) onCreated(account, (JSON.parse(responseBody) as { id: string }).id);
    },
  };
}

/** POST /orders/purchase, then every 201 is checked against the stored orders. */
export async function purchase(ctx: BenchContext): Promise<void> {
  await ensureReadOrders(ctx);
  await renewTokens(ctx);
  const ledger = new PurchaseLedger();
  await measureHttp(ctx, 'purchase', {
    requests: [
      purchaseRequest(
        ctx.readUsers.map((user) => user.account),
        ledger,
      ),
    ],
  });
  ctx.facts.purchaseCheck = await verifyPurchases(ctx, ledger);
}
