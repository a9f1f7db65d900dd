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
  // 201 answers as they came (key and order id at the same index), folded after the load so
  // that the load generator does as little as it can per request.
  private readonly createdKeys: string[] = [];
  private readonly createdIds: string[] = [];
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
      this.createdKeys.push(key);
      this.createdIds.push(orderIdOf(body));
    } else {
      this.failed.set(key, [...(this.failed.get(key) ?? []), status]);
    }
  }

  /** Idempotency key -> order ids of its 201 answers (a retried key may answer twice). */
  created(): Map<string, Set<string>> {
    const created = new Map<string, Set<string>>();
    this.createdKeys.forEach((key, index) => {
      const ids = created.get(key) ?? new Set<string>();
      ids.add(this.createdIds[index]);
      created.set(key, ids);
    });
    return created;
  }
}

/** The id of an Order answer: the gateway writes it first, so the load needs no JSON parse. */
export function orderIdOf(body: string): string {
  const prefix = '{"id":"';
  return body.startsWith(prefix)
    ? body.slice(prefix.length, body.indexOf('"', prefix.length))
    : (JSON.parse(body) as { id: string }).id;
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
  const body = Buffer.from(purchaseBody());
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
      if (status === 201 && onCreated && account) onCreated(account, orderIdOf(responseBody));
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
