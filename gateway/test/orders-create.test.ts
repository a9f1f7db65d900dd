import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { describeEachDatabase } from '../../common/test/databases';
import { BusinessCalendar } from '../src/orders/business-calendar';
import {
  bearer,
  createOrder,
  createOrderRequest,
  getOrderRequest,
  listRequest,
  orderBody,
  setPrices,
  type Order,
} from './support/orders-fixtures';
import { errorPaths, expectProblem } from './support/problems';
import { startSystem, type TestAccount, type TestSystem } from './support/system';

describeEachDatabase('orders: create and read', (database) => {
  let system: TestSystem;
  let user: TestAccount;
  let admin: TestAccount;
  before(async () => {
    system = await startSystem(database);
    [user, admin] = await Promise.all([system.registerAndLogin(), system.registerAndLogin('ADMIN')]);
  });
  after(() => system?.stop());

  it('creates a purchase at the purchase price and a sale at the sale price, as PENDING with its first history entry', async () => {
    await setPrices(system, admin, 'GOLD_999', '193000.00', '176000.50');
    const before = new Date();
    const purchase = await createOrder(system, user, {
      body: orderBody({ productType: 'GOLD_999', quantity: '2.50' }),
    });
    const sale = await createOrder(system, user, {
      kind: 'sale',
      body: orderBody({ productType: 'GOLD_999', quantity: 2 }),
    });
    const stamp = new BusinessCalendar('Asia/Seoul').dateStamp(new Date());
    expect(purchase).to.deep.include({
      orderType: 'PURCHASE',
      status: 'PENDING',
      productType: 'GOLD_999',
      quantity: '2.50',
      pricePerGram: '193000.00',
      totalPrice: '482500.00',
      currency: 'KRW',
      deliveryAddress: '123 Teheran-ro, Gangnam-gu, Seoul',
      recipientName: 'Kim Minji',
      contactNumber: '+82 10-1234-5678',
      postalCode: '06234',
      userId: user.userId,
      cancelledAt: null,
    });
    expect(purchase.orderNumber).to.match(new RegExp(`^P-${stamp}-[0-9A-HJKMNP-TV-Z]{8}$`));
    expect(purchase.statusHistory).to.deep.equal([
      { from: null, to: 'PENDING', changedBy: user.userId, changedAt: purchase.createdAt },
    ]);
    expect(purchase.updatedAt).to.equal(purchase.createdAt);
    expect(Date.parse(purchase.createdAt)).to.be.at.least(before.getTime());
    expect(sale).to.include({
      orderType: 'SALE',
      quantity: '2.00',
      pricePerGram: '176000.50',
      totalPrice: '352001.00',
    });
    expect(sale.orderNumber).to.match(new RegExp(`^S-${stamp}-`));
  });

  it('answers a read with exactly what the create answered', async () => {
    const created = await createOrder(system, user);
    const read = await getOrderRequest(system, user, created.id);
    expect(read.status).to.equal(200);
    expect(read.body).to.deep.equal(created);
    expect(JSON.stringify(read.body)).to.equal(JSON.stringify(created));
  });

  it('computes totals exactly: 10.15 g at 105000.10 is 1065751.02, whether the quantity is a number or a string', async () => {
    await setPrices(system, admin, 'GOLD_9999', '105000.10', '100000.00');
    for (const quantity of [10.15, '10.15']) {
      const order = await createOrder(system, user, { body: orderBody({ quantity }) });
      expect(order).to.include({ quantity: '10.15', pricePerGram: '105000.10', totalPrice: '1065751.02' });
    }
    const forms = [10, '10', '10.0', '10.00', 10.5, '10.5', '10.50', 0.01, '0.1'];
    const quantities: string[] = [];
    for (const quantity of forms)
      quantities.push((await createOrder(system, user, { body: orderBody({ quantity }) })).quantity);
    expect(quantities).to.deep.equal(['10.00', '10.00', '10.00', '10.00', '10.50', '10.50', '10.50', '0.01', '0.10']);
  });

  it('keeps the largest order exact: 9999999.99 g at 99999999.99', async () => {
    await setPrices(system, admin, 'GOLD_9999', '99999999.99', '99999999.99');
    const order = await createOrder(system, user, { body: orderBody({ quantity: 9999999.99 }) });
    expect(order.totalPrice).to.equal('999999998900000.00');
    expect((await getOrderRequest(system, user, order.id)).body).to.deep.include({
      quantity: '9999999.99',
      pricePerGram: '99999999.99',
      totalPrice: '999999998900000.00',
    });
  });

  it('keeps the price of the moment: a later price change alters no order', async () => {
    await setPrices(system, admin, 'GOLD_9999', '150000.00', '140000.00');
    const before = await createOrder(system, user, { body: orderBody({ quantity: '1.00' }) });
    await setPrices(system, admin, 'GOLD_9999', '160000.00', '150000.00');
    const after = await createOrder(system, user, { body: orderBody({ quantity: '1.00' }) });
    const reread = (await getOrderRequest(system, user, before.id)).body as Order;
    expect([reread.pricePerGram, reread.totalPrice]).to.deep.equal(['150000.00', '150000.00']);
    expect([after.pricePerGram, after.totalPrice]).to.deep.equal(['160000.00', '160000.00']);
  });

  it('trims text fields', async () => {
    const order = await createOrder(system, user, {
      body: orderBody({
        deliveryAddress: '  7 Jong-ro  ',
        recipientName: '\tPark Seoyeon ',
        contactNumber: ' 010-0000-0000 ',
        postalCode: ' 03154 ',
      }),
    });
    expect(order).to.include({
      deliveryAddress: '7 Jong-ro',
      recipientName: 'Park Seoyeon',
      contactNumber: '010-0000-0000',
      postalCode: '03154',
    });
  });

  describe('refuses bodies that break the contract (400) and creates nothing', () => {
    const invalid: Array<[string, Record<string, unknown>, string]> = [
      ['three decimal places (string)', { quantity: '10.123' }, '/body/quantity'],
      ['three decimal places (number)', { quantity: 10.123 }, '/body/quantity'],
      ['an exponent string', { quantity: '1e3' }, '/body/quantity'],
      ['an exponent number too small for two places', { quantity: 1e-7 }, '/body/quantity'],
      ['a negative quantity', { quantity: -1 }, '/body/quantity'],
      ['a signed string', { quantity: '+1' }, '/body/quantity'],
      ['zero', { quantity: 0 }, '/body/quantity'],
      ['zero as a string', { quantity: '0.00' }, '/body/quantity'],
      ['more than 9999999.99 g', { quantity: '10000000' }, '/body/quantity'],
      ['an empty quantity', { quantity: '' }, '/body/quantity'],
      ['a lower-case product type', { productType: 'gold_999' }, '/body/productType'],
      ['a blank recipient', { recipientName: '   ' }, '/body/recipientName'],
      ['an address of 256 characters', { deliveryAddress: 'a'.repeat(256) }, '/body/deliveryAddress'],
      ['letters in the phone number', { contactNumber: '010-CALL-ME' }, '/body/contactNumber'],
      ['a postal code of 2 characters', { postalCode: '12' }, '/body/postalCode'],
      ['an unknown field userId', { userId: uuidv7() }, '/body/userId'],
      ['an unknown field status', { status: 'SHIPPED' }, '/body/status'],
      ['an unknown field price', { price: '1.00' }, '/body/price'],
    ];
    for (const [name, overrides, path] of invalid) {
      it(name, async () => {
        const res = await createOrderRequest(system, user, { body: orderBody(overrides) });
        expectProblem(res, 400, 'invalid-request');
        expect(
          errorPaths(res).some((errorPath) => errorPath.startsWith(path)),
          JSON.stringify(res.body),
        ).to.equal(true);
      });
    }

    it('a missing field, on the sale route too', async () => {
      const body = orderBody();
      delete body.postalCode;
      const res = await createOrderRequest(system, user, { kind: 'sale', body });
      expectProblem(res, 400, 'invalid-request');
    });

    it('…and none of them made an order', async () => {
      const fresh = await system.registerAndLogin();
      for (const [, overrides] of invalid) await createOrderRequest(system, fresh, { body: orderBody(overrides) });
      const list = await listRequest(system, fresh);
      expect(list.body.page.total).to.equal(0);
    });
  });

  describe('reading one order', () => {
    it('is 404 for an order that does not exist', async () => {
      expectProblem(await getOrderRequest(system, user, uuidv7()), 404, 'not-found');
    });

    it("is 403 for another user's order, which an ADMIN can read", async () => {
      const order = await createOrder(system, user);
      const stranger = await system.registerAndLogin();
      expectProblem(await getOrderRequest(system, stranger, order.id), 403, 'forbidden');
      const asAdmin = await getOrderRequest(system, admin, order.id);
      expect(asAdmin.status).to.equal(200);
      expect(asAdmin.body).to.deep.equal(order);
    });

    it('reads an id written in upper case as the same order', async () => {
      const order = await createOrder(system, user);
      const res = await getOrderRequest(system, user, order.id.toUpperCase());
      expect([res.status, res.body.id]).to.deep.equal([200, order.id]);
    });

    it('is 400 for a malformed id', async () => {
      expectProblem(await getOrderRequest(system, user, 'not-a-uuid'), 400, 'invalid-request');
    });
  });

  it('needs a valid access token on every orders route (401)', async () => {
    const id = uuidv7();
    const anonymous = [
      system.request().get('/orders'),
      system.request().get(`/orders/${id}`),
      system.request().post('/orders/purchase').send(orderBody()),
      system.request().post('/orders/sale').send(orderBody()),
      system.request().patch(`/orders/${id}/status`).send({ status: 'ORDER_COMPLETED' }),
      system.request().delete(`/orders/${id}`),
      system
        .request()
        .get('/orders')
        .set('Authorization', bearer({ ...user, accessToken: user.refreshToken })),
    ];
    for (const res of await Promise.all(anonymous)) expectProblem(res, 401, 'unauthenticated');
  });
});
