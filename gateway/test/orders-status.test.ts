import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { describeEachDatabase } from '../../common/test/databases';
import {
  cancelRequest,
  changeStatusRequest,
  createOrder,
  getOrderRequest,
  listRequest,
  type Order,
} from './support/orders-fixtures';
import { expectProblem } from './support/problems';
import { startSystem, type TestAccount, type TestSystem } from './support/system';

const statuses = [
  'PENDING',
  'ORDER_COMPLETED',
  'PAYMENT_RECEIVED',
  'PAYMENT_SENT',
  'SHIPPED',
  'ITEM_RECEIVED',
  'CANCELLED',
] as const;
type Status = (typeof statuses)[number];

const paths: Record<'purchase' | 'sale', Status[]> = {
  purchase: ['PENDING', 'ORDER_COMPLETED', 'PAYMENT_RECEIVED', 'SHIPPED'],
  sale: ['PENDING', 'ORDER_COMPLETED', 'PAYMENT_SENT', 'ITEM_RECEIVED'],
};

describeEachDatabase('orders: status changes and cancelling', (database) => {
  let system: TestSystem;
  let owner: TestAccount;
  let stranger: TestAccount;
  let admin: TestAccount;
  before(async () => {
    system = await startSystem(database);
    [owner, stranger, admin] = await Promise.all([
      system.registerAndLogin(),
      system.registerAndLogin(),
      system.registerAndLogin('ADMIN'),
    ]);
  });
  after(() => system?.stop());

  async function read(orderId: string): Promise<Order> {
    const res = await getOrderRequest(system, admin, orderId);
    expect(res.status).to.equal(200);
    return res.body as Order;
  }

  /** An order of the owner moved along its path (by the ADMIN) up to `status`. */
  async function orderIn(kind: 'purchase' | 'sale', status: Status): Promise<Order> {
    let order = await createOrder(system, owner, { kind });
    for (const next of paths[kind].slice(1, paths[kind].indexOf(status) + 1)) {
      const res = await changeStatusRequest(system, admin, order.id, next);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      order = res.body as Order;
    }
    return order;
  }

  for (const kind of ['purchase', 'sale'] as const) {
    it(`walks every ${kind} arrow as ADMIN and refuses every other status at each step`, async () => {
      const order = await createOrder(system, owner, { kind });
      const path = paths[kind];
      for (const [index, current] of path.entries()) {
        for (const target of statuses.filter((status) => status !== current && status !== path[index + 1])) {
          expectProblem(await changeStatusRequest(system, admin, order.id, target), 400, 'invalid-status-transition');
        }
        // Asking for the current status: 200 and nothing recorded.
        const same = await changeStatusRequest(system, admin, order.id, current);
        expect(same.status).to.equal(200);
        expect((same.body as Order).statusHistory).to.have.length(index + 1);
        const next = path[index + 1];
        if (next === undefined) continue;
        const res = await changeStatusRequest(system, admin, order.id, next);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        const changed = res.body as Order;
        expect(changed.status).to.equal(next);
        expect(changed.statusHistory.at(-1)).to.deep.equal({
          from: current,
          to: next,
          changedBy: admin.userId,
          changedAt: changed.updatedAt,
        });
        expect(await read(order.id)).to.deep.equal(changed);
      }
      const final = await read(order.id);
      expect(final.statusHistory.map((entry) => [entry.from, entry.to])).to.deep.equal(
        path.map((status, index) => [index === 0 ? null : path[index - 1], status]),
      );
      expectProblem(await cancelRequest(system, admin, order.id), 400, 'order-not-cancellable');
      expectProblem(await cancelRequest(system, owner, order.id), 400, 'order-not-cancellable');
      expect(await read(order.id)).to.deep.equal(final);
    });
  }

  const cancellable: Array<['purchase' | 'sale', Status]> = [
    ['purchase', 'PENDING'],
    ['sale', 'PENDING'],
    ['purchase', 'ORDER_COMPLETED'],
    ['sale', 'ORDER_COMPLETED'],
    ['purchase', 'PAYMENT_RECEIVED'],
    ['sale', 'PAYMENT_SENT'],
  ];
  for (const [kind, status] of cancellable) {
    it(`cancels a ${kind} order from ${status}; cancelling again changes nothing`, async () => {
      const order = await orderIn(kind, status);
      const canceller = status === 'PENDING' ? owner : admin;
      const res = await cancelRequest(system, canceller, order.id);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const cancelled = res.body as Order;
      expect(cancelled.status).to.equal('CANCELLED');
      expect(cancelled.cancelledAt).to.be.a('string').and.equal(cancelled.updatedAt);
      expect(cancelled.statusHistory.at(-1)).to.deep.equal({
        from: status,
        to: 'CANCELLED',
        changedBy: canceller.userId,
        changedAt: cancelled.cancelledAt,
      });
      const again = await cancelRequest(system, owner, order.id);
      expect(again.status).to.equal(200);
      expect(again.body).to.deep.equal(cancelled);
      // A cancelled order stays readable and listable, and moves no further.
      expect(await read(order.id)).to.deep.equal(cancelled);
      const listed = await listRequest(system, owner, '/orders?status=CANCELLED&limit=100');
      expect((listed.body.data as Order[]).some((o) => o.id === order.id)).to.equal(true);
      expectProblem(
        await changeStatusRequest(system, owner, order.id, 'ORDER_COMPLETED'),
        400,
        'invalid-status-transition',
      );
      expectProblem(await changeStatusRequest(system, admin, order.id, 'CANCELLED'), 400, 'invalid-status-transition');
      expectProblem(await changeStatusRequest(system, admin, order.id, 'SHIPPED'), 400, 'invalid-status-transition');
    });
  }

  describe('USER and ADMIN', () => {
    it('lets the owner confirm (ORDER_COMPLETED) and nothing else, and confirming twice is a no-op', async () => {
      const order = await createOrder(system, owner);
      for (const status of statuses.filter((s) => s !== 'ORDER_COMPLETED')) {
        expectProblem(await changeStatusRequest(system, owner, order.id, status), 403, 'forbidden');
      }
      const confirmed = await changeStatusRequest(system, owner, order.id, 'ORDER_COMPLETED');
      expect(confirmed.status).to.equal(200);
      expect((confirmed.body as Order).statusHistory.at(-1)).to.include({
        to: 'ORDER_COMPLETED',
        changedBy: owner.userId,
      });
      const twice = await changeStatusRequest(system, owner, order.id, 'ORDER_COMPLETED');
      expect(twice.status).to.equal(200);
      expect(twice.body).to.deep.equal(confirmed.body);
      expectProblem(await changeStatusRequest(system, owner, order.id, 'PAYMENT_RECEIVED'), 403, 'forbidden');
    });

    it("refuses another user's order with 403 for every action, whatever its state", async () => {
      const pending = await createOrder(system, owner);
      const shipped = await orderIn('purchase', 'SHIPPED');
      for (const order of [pending, shipped]) {
        expectProblem(await getOrderRequest(system, stranger, order.id), 403, 'forbidden');
        expectProblem(await changeStatusRequest(system, stranger, order.id, 'ORDER_COMPLETED'), 403, 'forbidden');
        expectProblem(await cancelRequest(system, stranger, order.id), 403, 'forbidden');
      }
      expect((await read(pending.id)).statusHistory).to.have.length(1);
    });

    it('lets an ADMIN confirm and cancel any order', async () => {
      const order = await createOrder(system, owner, { kind: 'sale' });
      expect((await changeStatusRequest(system, admin, order.id, 'ORDER_COMPLETED')).status).to.equal(200);
      const res = await cancelRequest(system, admin, order.id);
      expect(res.status).to.equal(200);
      expect((res.body as Order).statusHistory.map((e) => e.changedBy)).to.deep.equal([
        owner.userId,
        admin.userId,
        admin.userId,
      ]);
    });
  });

  describe('precedence: 400 (contract), then 404, then 403, then 400 (transition)', () => {
    it('checks the request against the contract first', async () => {
      expectProblem(await changeStatusRequest(system, stranger, 'not-a-uuid', 'SHIPPED'), 400, 'invalid-request');
      // (The validator's message lists the allowed values, ORDER_COMPLETED among them, which the
      // internals check of expectProblem takes for a MySQL error code: status and type only here.)
      const lowerCase = await changeStatusRequest(system, stranger, uuidv7(), 'shipped');
      expect([lowerCase.status, lowerCase.body.type]).to.deep.equal([
        400,
        'https://aletheia.gold/problems/invalid-request',
      ]);
      expectProblem(await cancelRequest(system, stranger, 'not-a-uuid'), 400, 'invalid-request');
      const noBody = await system
        .request()
        .patch(`/orders/${uuidv7()}/status`)
        .set('Authorization', `Bearer ${owner.accessToken}`)
        .send({ status: 'ORDER_COMPLETED', note: 'x' });
      expectProblem(noBody, 400, 'invalid-request');
    });

    it('answers 404 for a missing order whoever asks, whatever is asked', async () => {
      for (const account of [owner, admin]) {
        expectProblem(await changeStatusRequest(system, account, uuidv7(), 'SHIPPED'), 404, 'not-found');
        expectProblem(await changeStatusRequest(system, account, uuidv7(), 'CANCELLED'), 404, 'not-found');
        expectProblem(await cancelRequest(system, account, uuidv7()), 404, 'not-found');
      }
    });

    it('answers 403 before 400: a USER asking for an invalid status, a stranger cancelling a shipped order', async () => {
      const pending = await createOrder(system, owner);
      expectProblem(await changeStatusRequest(system, owner, pending.id, 'SHIPPED'), 403, 'forbidden');
      expectProblem(await changeStatusRequest(system, owner, pending.id, 'CANCELLED'), 403, 'forbidden');
      const shipped = await orderIn('purchase', 'SHIPPED');
      expectProblem(await cancelRequest(system, stranger, shipped.id), 403, 'forbidden');
      expectProblem(await changeStatusRequest(system, stranger, shipped.id, 'PENDING'), 403, 'forbidden');
    });
  });

  describe('concurrent changes to one order', () => {
    it('lets exactly one of a cancel and a status change win; the loser gets the answer after the winner', async () => {
      const orders = await Promise.all(Array.from({ length: 8 }, () => orderIn('purchase', 'PAYMENT_RECEIVED')));
      const outcomes = await Promise.all(
        orders.map(async (order) => {
          const [shipping, cancelling] = await Promise.all([
            changeStatusRequest(system, admin, order.id, 'SHIPPED'),
            cancelRequest(system, owner, order.id),
          ]);
          return { order, shipping, cancelling };
        }),
      );
      for (const { order, shipping, cancelling } of outcomes) {
        const final = await read(order.id);
        const fromPaid = final.statusHistory.filter((entry) => entry.from === 'PAYMENT_RECEIVED');
        expect(fromPaid, JSON.stringify(final.statusHistory)).to.have.length(1);
        expect(final.statusHistory).to.have.length(4);
        if (final.status === 'SHIPPED') {
          expect(shipping.status).to.equal(200);
          expectProblem(cancelling, 400, 'order-not-cancellable');
          expect(final.cancelledAt).to.equal(null);
        } else {
          expect(final.status).to.equal('CANCELLED');
          expect(cancelling.status).to.equal(200);
          expectProblem(shipping, 400, 'invalid-status-transition');
        }
      }
    });

    it('applies one of ten identical concurrent confirmations; the others are no-ops', async () => {
      const order = await createOrder(system, owner);
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          changeStatusRequest(system, i % 2 ? owner : admin, order.id, 'ORDER_COMPLETED'),
        ),
      );
      expect(responses.map((res) => res.status)).to.deep.equal(Array(10).fill(200));
      const final = await read(order.id);
      expect(final.statusHistory.map((entry) => entry.to)).to.deep.equal(['PENDING', 'ORDER_COMPLETED']);
    });

    it('records a whole race of changes as one consistent chain', async () => {
      const order = await createOrder(system, owner, { kind: 'sale' });
      const steps = ['ORDER_COMPLETED', 'PAYMENT_SENT', 'ITEM_RECEIVED'] as const;
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          i % 4 === 3
            ? cancelRequest(system, owner, order.id)
            : changeStatusRequest(system, admin, order.id, steps[i % 3]),
        ),
      );
      const final = await read(order.id);
      for (const [index, entry] of final.statusHistory.entries()) {
        expect(entry.from).to.equal(index === 0 ? null : final.statusHistory[index - 1].to);
      }
      expect(final.statusHistory.at(-1)!.to).to.equal(final.status);
      expect(final.cancelledAt === null).to.equal(final.status !== 'CANCELLED');
    });
  });
  it('keeps the per-user counts equal to the orders after all of the above', async () => {
    const db = system.ordersDb;
    const counted = (await db('invoice_counts')
      .select('user_id', 'order_type', 'status', 'total')
      .where('total', '>', 0)
      .orderBy(['user_id', 'order_type', 'status'])) as Array<Record<string, string | number>>;
    const actual = (await db('invoices')
      .select('user_id', 'order_type', 'status')
      .count({ total: '*' })
      .groupBy('user_id', 'order_type', 'status')
      .orderBy(['user_id', 'order_type', 'status'])) as Array<Record<string, string | number>>;
    const normalize = (rows: Array<Record<string, string | number>>) =>
      rows.map((row) => ({ ...row, total: Number(row.total) }));
    expect(normalize(counted)).to.deep.equal(normalize(actual));
    expect(actual.length).to.be.at.least(4);
  });
});
