import type { HttpResponse } from './http';
import { bearer, type Stack } from './stack';

export interface OrderBody {
  productType: 'GOLD_999' | 'GOLD_9999';
  quantity: string | number;
  deliveryAddress: string;
  recipientName: string;
  contactNumber: string;
  postalCode: string;
}

export interface Order extends Record<string, unknown> {
  id: string;
  orderNumber: string;
  orderType: 'PURCHASE' | 'SALE';
  status: string;
  quantity: string;
  pricePerGram: string;
  totalPrice: string;
  userId: string;
  cancelledAt: string | null;
  statusHistory: Array<{ from: string | null; to: string; changedBy: string; changedAt: string }>;
}

export function orderBody(overrides: Partial<OrderBody> = {}): OrderBody {
  return {
    productType: 'GOLD_9999',
    quantity: '10.50',
    deliveryAddress: '123 Teheran-ro, Gangnam-gu, Seoul',
    recipientName: 'Kim Minji',
    contactNumber: '+82 10-1234-5678',
    postalCode: '06234',
    ...overrides,
  };
}

export function createOrder(
  stack: Stack,
  token: string,
  options: { kind?: 'purchase' | 'sale'; body?: OrderBody; key?: string; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  const headers: Record<string, string> = bearer(token);
  if (options.key) headers['idempotency-key'] = options.key;
  return stack.request({
    method: 'POST',
    path: `/orders/${options.kind ?? 'purchase'}`,
    headers,
    body: options.body ?? orderBody(),
    timeoutMs: options.timeoutMs ?? 10_000,
  });
}

/** Creates an order and returns it, failing loudly when the system refuses. */
export async function placeOrder(stack: Stack, token: string, kind: 'purchase' | 'sale' = 'purchase'): Promise<Order> {
  const response = await createOrder(stack, token, { kind });
  if (response.status !== 201) throw new Error(`create order: ${response.status} ${response.text}`);
  return response.json as Order;
}

export function getOrder(stack: Stack, token: string, id: string): Promise<HttpResponse> {
  return stack.request({ method: 'GET', path: `/orders/${id}`, headers: bearer(token) });
}

export function changeStatus(stack: Stack, token: string, id: string, status: string): Promise<HttpResponse> {
  return stack.request({ method: 'PATCH', path: `/orders/${id}/status`, headers: bearer(token), body: { status } });
}

export function cancelOrder(stack: Stack, token: string, id: string): Promise<HttpResponse> {
  return stack.request({ method: 'DELETE', path: `/orders/${id}`, headers: bearer(token) });
}
