import { expect } from 'chai';
import { describeEachDatabase } from '../../common/test/databases';
import { normalizeOrder } from '../src/orders/create-order';
import { claimKey, requestFingerprint } from '../src/orders/idempotency';
import { IdempotencyKeyRepository } from '../src/orders/idempotency-keys';
import type { CreateOrderBody } from '../src/orders/types';
import {
  changeStatusRequest,
  createOrder,
  createOrderRequest,
  listRequest,
  orderBody,
  type Order,
} from './support/orders-fixtures';
import { expectProblem } from './support/problems';
import { startSystem, type TestAccount, type TestSystem } from './support/system';

describeEachDatabase('orders: idempotency keys', (database) => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(database);
  });
  after(() => system?.stop());

  async function ordersOf(account: TestAccount): Promise<Order[]> {
    const res = await listRequest(system, account, '/orders?limit=100');
    expect(res.status).to.equal(200);
    return res.body.data as Order[];
  }

  it('replays the same order (201) for the same key and body by value, creating nothing', async () => {
    const user = await system.registerAndLogin();
    const first = await createOrderRequest(system, user, { key: 'checkout-1', body: orderBody({ quantity: 10 }) });
    expect(first.status).to.equal(201);
    const sameByValue = orderBody({ quantity: '10.00', recipientName: '  Kim Minji ' });
    const replay = await createOrderRequest(system, user, { key: 'checkout-1', body: sameByValue });
    expect(replay.status).to.equal(201);
    expect(replay.headers.location).to.equal(first.headers.location);
    expect(replay.body).to.deep.equal(first.body);
    expect((await ordersOf(user)).map((order) => order.id)).to.deep.equal([first.body.id]);
  });

  it('answers 422 for the same key with another body or on the other route', async () => {
    const user = await system.registerAndLogin();
    await createOrder(system, user, { key: 'checkout-2' });
    expectProblem(
      await createOrderRequest(system, user, { key: 'checkout-2', body: orderBody({ quantity: '10.01' }) }),
      422,
      'idempotency-key-reused',
    );
    expectProblem(
      await createOrderRequest(system, user, { key: 'checkout-2', body: orderBody({ productType: 'GOLD_999' }) }),
      422,
      'idempotency-key-reused',
    );
    expectProblem(
      await createOrderRequest(system, user, { kind: 'sale', key: 'checkout-2' }),
      422,
      'idempotency-key-reused',
    );
    expect(await ordersOf(user)).to.have.length(1);
  });

  it('keeps keys per user and compares them exactly; without a key every request is a new order', async () => {
    const [alice, bob] = await Promise.all([system.registerAndLogin(), system.registerAndLogin()]);
    const alices = await createOrder(system, alice, { key: 'shared-key' });
    const bobs = await createOrder(system, bob, { key: 'shared-key' });
    const otherCase = await createOrder(system, alice, { key: 'SHARED-KEY' });
    expect(new Set([alices.id, bobs.id, otherCase.id]).size).to.equal(3);
    await createOrder(system, bob);
    await createOrder(system, bob);
    expect(await ordersOf(bob)).to.have.length(3);
  });

  it('replays the order as it stands now once it has moved on', async () => {
    const user = await system.registerAndLogin();
    const order = await createOrder(system, user, { key: 'checkout-3' });
    const confirmed = await changeStatusRequest(system, user, order.id, 'ORDER_COMPLETED');
    const replay = await createOrderRequest(system, user, { key: 'checkout-3' });
    expect(replay.status).to.equal(201);
    expect(replay.body).to.deep.equal(confirmed.body);
  });

  it('creates exactly one order from 10 concurrent requests with one key', async () => {
    const user = await system.registerAndLogin();
    const body = orderBody({ quantity: '3.30' });
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        createOrderRequest(system, user, { key: 'race', body: i % 2 ? body : { ...body, quantity: 3.3 } }),
      ),
    );
    const created = responses.filter((res) => res.status === 201);
    for (const res of responses.filter((r) => r.status !== 201)) expectProblem(res, 409, 'idempotency-key-in-flight');
    expect(created.length).to.be.at.least(1);
    expect(new Set(created.map((res) => res.body.id)).size).to.equal(1);
    const stored = await ordersOf(user);
    expect(stored.map((order) => order.id)).to.deep.equal([created[0].body.id]);
    const after = await createOrderRequest(system, user, { key: 'race', body });
    expect(after.status).to.equal(201);
    expect(after.body).to.deep.equal(created[0].body);
    const rows = await system.ordersDb('idempotency_keys').where({ user_id: user.userId });
    expect(rows.map((row: { state: string; invoice_id: string }) => [row.state, row.invoice_id])).to.deep.equal([
      ['COMPLETED', created[0].body.id],
    ]);
  });

  it('answers 409 while another request holds the key, 422 for another body even then, and lets the retry through once it is given back', async () => {
    const user = await system.registerAndLogin();
    const body = orderBody({ quantity: '4.00' });
    // The claim an in-flight request holds between claiming the key and committing its order.
    const keys = new IdempotencyKeyRepository(system.gateway.db);
    const held = await claimKey(
      keys,
      {
        userId: user.userId,
        key: 'held',
        orderType: 'PURCHASE',
        fingerprint: requestFingerprint({ ...normalizeOrder(body as CreateOrderBody) }),
      },
      new Date(),
      'GOLD_9999',
    );
    if (held.kind !== 'claimed') throw new Error('expected a claim');
    expectProblem(await createOrderRequest(system, user, { key: 'held', body }), 409, 'idempotency-key-in-flight');
    expectProblem(
      await createOrderRequest(system, user, { key: 'held', body: orderBody({ quantity: '5.00' }) }),
      422,
      'idempotency-key-reused',
    );
    expect(await ordersOf(user)).to.have.length(0);
    // A create that failed gives its claim back; the client's retry then succeeds.
    await keys.release(held.claim);
    const retried = await createOrder(system, user, { key: 'held', body });
    expect((await ordersOf(user)).map((order) => order.id)).to.deep.equal([retried.id]);
  });

  if (database.kind === 'mysql') {
    it('answers 409 while the first request with the key is really in flight (held on a row lock)', async () => {
      const user = await system.registerAndLogin();
      const db = system.ordersDb;
      // A transaction holding the gap after the newest order: the next order's insert waits for it.
      const blocker = await db.transaction();
      await blocker.raw('select id from invoices where id > ? for update', ['ffffffff-ffff-7fff-bfff-ffffffffffff']);
      try {
        // supertest sends on then(): start the first request now, without waiting for it.
        const first = Promise.resolve(createOrderRequest(system, user, { key: 'slow' }));
        for (let i = 0; ; i++) {
          const claimed = await db('idempotency_keys').where({ user_id: user.userId, idempotency_key: 'slow' }).first();
          if (claimed) break;
          if (i > 500) throw new Error('the first request never claimed its key');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expectProblem(await createOrderRequest(system, user, { key: 'slow' }), 409, 'idempotency-key-in-flight');
        await blocker.rollback();
        const done = await first;
        expect(done.status).to.equal(201);
        const replay = await createOrderRequest(system, user, { key: 'slow' });
        expect([replay.status, replay.body.id]).to.deep.equal([201, done.body.id]);
      } finally {
        if (!blocker.isCompleted()) await blocker.rollback();
      }
    });
  }

  it('refuses an empty or malformed key (400)', async () => {
    const user = await system.registerAndLogin();
    for (const key of ['', 'a'.repeat(256), 'with space', 'ünïcode']) {
      const res = await createOrderRequest(system, user, { key });
      expect([res.status, res.body.type], JSON.stringify(key)).to.deep.equal([
        400,
        'https://aletheia.gold/problems/invalid-request',
      ]);
    }
    expect(await ordersOf(user)).to.have.length(0);
  });
});
