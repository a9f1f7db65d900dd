import { expect } from 'chai';
import type { Response } from 'supertest';
import type { components } from '../../../generated/openapi';
import type { TestAccount, TestSystem } from './system';

export type Order = components['schemas']['Order'];
export type OrderPage = components['schemas']['OrderPage'];
export type Product = components['schemas']['Product'];

/** A valid create body; override any member (or add unknown ones) per test. */
export function orderBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    productType: 'GOLD_9999',
    quantity: '10.00',
    deliveryAddress: '123 Teheran-ro, Gangnam-gu, Seoul',
    recipientName: 'Kim Minji',
    contactNumber: '+82 10-1234-5678',
    postalCode: '06234',
    ...overrides,
  };
}

export function bearer(account: TestAccount): string {
  return `Bearer ${account.accessToken}`;
}

export function createOrderRequest(
  system: TestSystem,
  account: TestAccount,
  options: { kind?: 'purchase' | 'sale'; body?: Record<string, unknown>; key?: string } = {},
): Promise<Response> {
  const request = system
    .request()
    .post(`/orders/${options.kind ?? 'purchase'}`)
    .set('Authorization', bearer(account));
  if (options.key !== undefined) request.set('Idempotency-Key', options.key);
  return request.send(options.body ?? orderBody());
}

/** Creates an order and expects 201 with a Location naming it. */
export async function createOrder(
  system: TestSystem,
  account: TestAccount,
  options: { kind?: 'purchase' | 'sale'; body?: Record<string, unknown>; key?: string } = {},
): Promise<Order> {
  const res = await createOrderRequest(system, account, options);
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  const order = res.body as Order;
  expect(res.headers.location).to.equal(`/orders/${order.id}`);
  return order;
}

export async function setPrices(
  system: TestSystem,
  admin: TestAccount,
  productType: 'GOLD_999' | 'GOLD_9999',
  purchasePricePerGram: string | number,
  salePricePerGram: string | number,
): Promise<Product> {
  const res = await system
    .request()
    .put(`/products/${productType}/prices`)
    .set('Authorization', bearer(admin))
    .send({ purchasePricePerGram, salePricePerGram });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body as Product;
}

export function changeStatusRequest(system: TestSystem, account: TestAccount, orderId: string, status: string) {
  return system.request().patch(`/orders/${orderId}/status`).set('Authorization', bearer(account)).send({ status });
}

export function cancelRequest(system: TestSystem, account: TestAccount, orderId: string) {
  return system.request().delete(`/orders/${orderId}`).set('Authorization', bearer(account));
}

export function getOrderRequest(system: TestSystem, account: TestAccount, orderId: string) {
  return system.request().get(`/orders/${orderId}`).set('Authorization', bearer(account));
}

export function listRequest(system: TestSystem, account: TestAccount, pathAndQuery = '/orders') {
  return system.request().get(pathAndQuery).set('Authorization', bearer(account));
}
