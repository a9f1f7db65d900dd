import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import Decimal from 'decimal.js';
import { describeEachDatabase } from '../../common/test/databases';
import { createApiClient } from './support/client';
import { startSystem, type TestSystem } from './support/system';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describeEachDatabase('end to end through the generated client', (database) => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(database);
  });
  after(() => system?.stop());

  it('register → login → purchase → list → admin status change → cancel → refresh → logout', async () => {
    const client = system.client;
    const username = `walk_${randomBytes(4).toString('hex')}`;
    const password = 'gold-walk-2026';

    const registered = await client.POST('/auth/register', { body: { username, password } });
    expect(registered.response.status).to.equal(204);

    const login = await client.POST('/auth/login', { body: { username, password } });
    expect(login.response.status).to.equal(200);
    const tokens = login.data!;
    expect(tokens.tokenType).to.equal('Bearer');

    const products = await client.GET('/products');
    const gold = products.data!.data.find((product) => product.productType === 'GOLD_9999')!;

    const created = await client.POST('/orders/purchase', {
      params: { header: { 'Idempotency-Key': `walk-${username}` } },
      headers: bearer(tokens.accessToken),
      body: {
        productType: 'GOLD_9999',
        quantity: '10.50',
        deliveryAddress: '123 Teheran-ro, Gangnam-gu, Seoul',
        recipientName: 'Kim Minji',
        contactNumber: '+82 10-1234-5678',
        postalCode: '06234',
      },
    });
    expect(created.response.status).to.equal(201);
    const order = created.data!;
    expect(created.response.headers.get('location')).to.equal(`/orders/${order.id}`);
    expect(order).to.include({ orderType: 'PURCHASE', status: 'PENDING', quantity: '10.50', currency: 'KRW' });
    expect(order.pricePerGram).to.equal(gold.purchasePricePerGram);
    const expectedTotal = new Decimal(gold.purchasePricePerGram)
      .times('10.50')
      .toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
    expect(order.totalPrice).to.equal(expectedTotal.toFixed(2));

    const list = await client.GET('/orders', { params: { query: { limit: 10 } }, headers: bearer(tokens.accessToken) });
    expect(list.response.status).to.equal(200);
    expect(list.data!.data.map((o) => o.id)).to.deep.equal([order.id]);
    expect(list.data!.page).to.deep.equal({ limit: 10, offset: 0, total: 1 });

    const admin = await system.registerAndLogin('ADMIN');
    const completed = await client.PATCH('/orders/{orderId}/status', {
      params: { path: { orderId: order.id } },
      headers: bearer(admin.accessToken),
      body: { status: 'ORDER_COMPLETED' },
    });
    expect(completed.response.status).to.equal(200);
    expect(completed.data!.status).to.equal('ORDER_COMPLETED');
    expect(completed.data!.statusHistory.at(-1)).to.include({
      from: 'PENDING',
      to: 'ORDER_COMPLETED',
      changedBy: admin.userId,
    });

    const cancelled = await client.DELETE('/orders/{orderId}', {
      params: { path: { orderId: order.id } },
      headers: bearer(tokens.accessToken),
    });
    expect(cancelled.response.status).to.equal(200);
    expect(cancelled.data!.status).to.equal('CANCELLED');
    expect(cancelled.data!.cancelledAt).to.be.a('string');

    const refreshed = await client.POST('/auth/refresh', { headers: bearer(tokens.refreshToken) });
    expect(refreshed.response.status).to.equal(200);
    expect(refreshed.data!.refreshToken).to.not.equal(tokens.refreshToken);
    const readBack = await client.GET('/orders/{orderId}', {
      params: { path: { orderId: order.id } },
      headers: bearer(refreshed.data!.accessToken),
    });
    expect(readBack.data!.status).to.equal('CANCELLED');
    expect(readBack.data!.statusHistory.map((entry) => entry.to)).to.deep.equal([
      'PENDING',
      'ORDER_COMPLETED',
      'CANCELLED',
    ]);

    const logout = await client.POST('/auth/logout', { headers: bearer(refreshed.data!.accessToken) });
    expect(logout.response.status).to.equal(204);
    const after = await client.GET('/orders', { headers: bearer(refreshed.data!.accessToken) });
    expect(after.response.status).to.equal(401);
    expect(after.error).to.include({ type: 'https://aletheia.gold/problems/unauthenticated', status: 401 });
  });

  it('works from a client created on its own with default headers', async () => {
    const account = await system.registerAndLogin();
    const client = createApiClient(system.gateway.url, bearer(account.accessToken));
    const { data, response } = await client.GET('/orders', { params: { query: { orderType: 'SALE' } } });
    expect(response.status).to.equal(200);
    expect(data!.links).to.deep.equal({ next: null, previous: null });
  });
});
