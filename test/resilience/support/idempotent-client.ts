import { randomUUID } from 'node:crypto';
import { TransportError, type HttpResponse } from './http';
import { createOrder, orderBody, type Order, type OrderBody } from './orders';
import { sleep } from '../../support/managed-process';
import type { Account, Stack } from './stack';

export interface LogicalOrder {
  key: string;
  kind: 'purchase' | 'sale';
  body: OrderBody;
  account: Account;
  /** Every attempt's status or transport failure, in order. */
  attempts: Array<number | string>;
  /** The order of the first 2xx, if any. */
  created?: Order;
  /** Every 2xx answer's order (replays must all be the same order). */
  answers: Order[];
}

/**
 * A careful client: one idempotency key per logical order, the same key and body on
 * every retry, retrying on 503, 409 (still in flight), timeouts and dropped connections
 * until it gets an answer or its deadline passes.
 */
export async function createWithRetries(
  stack: Stack,
  account: Account,
  options: { kind: 'purchase' | 'sale'; quantity: string; deadlineMs: number; timeoutMs?: number },
): Promise<LogicalOrder> {
  const logical: LogicalOrder = {
    key: `res-${randomUUID()}`,
    kind: options.kind,
    body: orderBody({ quantity: options.quantity, productType: options.kind === 'sale' ? 'GOLD_999' : 'GOLD_9999' }),
    account,
    attempts: [],
    answers: [],
  };
  const giveUpAt = performance.now() + options.deadlineMs;
  let backoff = 100;
  while (performance.now() < giveUpAt) {
    let response: HttpResponse | undefined;
    try {
      response = await createOrder(stack, account.accessToken, {
        kind: options.kind,
        body: logical.body,
        key: logical.key,
        timeoutMs: options.timeoutMs ?? 8000,
      });
      logical.attempts.push(response.status);
    } catch (error) {
      logical.attempts.push(error instanceof TransportError ? error.kind : 'other');
    }
    if (response && response.status >= 200 && response.status < 300) {
      const order = response.json as Order;
      logical.answers.push(order);
      logical.created ??= order;
      return logical;
    }
    if (response && ![503, 409].includes(response.status)) return logical; // a final answer: the caller judges it
    await sleep(backoff + Math.random() * backoff);
    backoff = Math.min(backoff * 2, 1000);
  }
  return logical;
}
