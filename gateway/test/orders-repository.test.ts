import { expect } from 'chai';
import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import { createDatabase } from '../../common/src/database';
import { toDbTime } from '../../common/src/db-time';
import { migrateToLatest } from '../../common/src/migrations';
import { ordersMigrations } from '../../common/src/migration-sets';
import { describeEachDatabase } from '../../common/test/databases';
import type { Principal } from '../src/auth/principal';
import { ProblemError } from '../src/http/problem';
import { BusinessCalendar } from '../src/orders/business-calendar';
import { createOrder, normalizeOrder } from '../src/orders/create-order';
import type { OrdersDeps } from '../src/orders/deps';
import { isPrimaryKeyViolation } from '../../common/src/database-errors';
import { openSqlDatabase, type SqlDatabase } from '../../common/src/sql/database';
import { claimKey, claimLeaseMs, keyRetentionMs, requestFingerprint, type KeyUse } from '../src/orders/idempotency';
import { completeClaimStatement, IdempotencyKeyRepository, type Claim } from '../src/orders/idempotency-keys';
import { randomOrderNumber, type OrderNumberSource } from '../src/orders/order-number';
import { OrderRepository } from '../src/orders/order-repository';
import { ProductRepository } from '../src/products/product-repository';
import * as countExistingInvoices from '../../migrations/orders/20260201000410_count_existing_invoices';

const body = {
  productType: 'GOLD_999' as const,
  quantity: '1.00',
  deliveryAddress: '  1 Sejong-daero, Jung-gu, Seoul  ',
  recipientName: 'Lee Jiwoo',
  contactNumber: '02-120-0000',
  postalCode: '04524',
};

function userPrincipal(): Principal {
  return { userId: uuidv7(), username: 'someone', role: 'USER', sessionId: uuidv7() };
}

async function problemCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'none';
  } catch (error) {
    if (error instanceof ProblemError) return error.code;
    throw error;
  }
}

describeEachDatabase('orders repository and use-cases on a real database', (database) => {
  /** The schema's Knex: migrations, and a look at the rows the repositories wrote. */
  let db: Knex;
  /** The gateway's data access, as it runs in production. */
  let sql: SqlDatabase;
  let deps: OrdersDeps;
  let keys: IdempotencyKeyRepository;
  let orders: OrderRepository;
  let products: ProductRepository;
  before(async () => {
    const config = await database.create();
    db = createDatabase(config);
    await migrateToLatest(db, ordersMigrations);
    sql = openSqlDatabase(config, { batches: true });
    keys = new IdempotencyKeyRepository(sql);
    orders = new OrderRepository(sql);
    products = new ProductRepository(sql);
    deps = { orders, keys, products, calendar: new BusinessCalendar('Asia/Seoul'), orderNumbers: randomOrderNumber };
  });
  after(async () => {
    await sql?.close();
    await db?.destroy();
    await database.drop();
  });

  /** Completes a claim in a transaction of its own, as a create's transaction would. */
  async function complete(claim: Claim): Promise<boolean> {
    const statement = completeClaimStatement(claim, '2026-01-31 00:00:00.000');
    return (await sql.transaction((tx) => tx.execute(statement.sql, statement.params))) > 0;
  }

  it('migrates again without change and never lets the seed overwrite prices', async () => {
    await products.updatePrices('GOLD_999', {
      purchase_price_per_gram: '123456.78',
      sale_price_per_gram: '120000.00',
      updated_at: '2026-01-31 00:00:00.000',
    });
    expect(await migrateToLatest(db, ordersMigrations)).to.deep.equal([]);
    const stored = await products.findAll();
    expect(stored.map((p) => [p.product_type, p.purchase_price_per_gram, p.currency])).to.deep.equal([
      ['GOLD_999', '123456.78', 'KRW'],
      ['GOLD_9999', '195000.00', 'KRW'],
    ]);
  });

  it('stores the largest order exactly: 9999999.99 g at 99999999.99 per gram', async () => {
    await products.updatePrices('GOLD_9999', {
      purchase_price_per_gram: '99999999.99',
      sale_price_per_gram: '0.01',
      updated_at: '2026-01-31 00:00:00.000',
    });
    const actor = userPrincipal();
    const order = await createOrder(deps, {
      actor,
      orderType: 'PURCHASE',
      body: { ...body, productType: 'GOLD_9999', quantity: 9999999.99 },
    });
    const stored = await orders.find(order.id);
    expect(stored!.invoice).to.include({
      quantity: '9999999.99',
      price_per_gram: '99999999.99',
      total_price: '999999998900000.00',
      delivery_address: '1 Sejong-daero, Jung-gu, Seoul',
    });
    const sale = await createOrder(deps, {
      actor,
      orderType: 'SALE',
      body: { ...body, productType: 'GOLD_9999', quantity: '0.01' },
    });
    expect(sale).to.include({ pricePerGram: '0.01', totalPrice: '0.00' });
  });

  it('draws a new order number when one is taken (no error for the customer)', async () => {
    const first = await createOrder(deps, { actor: userPrincipal(), orderType: 'PURCHASE', body });
    const drawn: string[] = [];
    const collidingTwice: OrderNumberSource = (orderType, day) => {
      const number = drawn.length < 2 ? first.orderNumber : randomOrderNumber(orderType, day);
      drawn.push(number);
      return number;
    };
    const second = await createOrder(
      { ...deps, orderNumbers: collidingTwice },
      { actor: userPrincipal(), orderType: 'PURCHASE', body },
    );
    expect(drawn).to.have.length(3);
    expect(second.orderNumber).to.equal(drawn[2]).and.not.equal(first.orderNumber);
  });

  it('releases the key of a create that failed, so the retry goes through', async () => {
    const actor = userPrincipal();
    const failing: OrderNumberSource = () => {
      throw new Error('no number today');
    };
    const request = { actor, orderType: 'PURCHASE' as const, body, idempotencyKey: 'retry-after-failure' };
    let failure: unknown;
    await createOrder({ ...deps, orderNumbers: failing }, request).catch((error: unknown) => (failure = error));
    expect((failure as Error).message).to.equal('no number today');
    expect(await db('invoices').where({ user_id: actor.userId }).select('id')).to.deep.equal([]);
    expect(await db('idempotency_keys').where({ user_id: actor.userId }).select('id')).to.deep.equal([]);
    const order = await createOrder(deps, request);
    expect((await createOrder(deps, request)).id).to.equal(order.id);
  });

  it('recounts existing orders per user, type and status when the counts migration runs', async () => {
    const actor = userPrincipal();
    await createOrder(deps, { actor, orderType: 'PURCHASE', body });
    await createOrder(deps, { actor, orderType: 'PURCHASE', body });
    await createOrder(deps, { actor, orderType: 'SALE', body });
    const mine = () =>
      db('invoice_counts')
        .where({ user_id: actor.userId })
        .orderBy('order_type')
        .select('order_type', 'status', 'total');
    const before = await mine();
    await db('invoice_counts').update({ total: 0 });
    await db.transaction((trx) => countExistingInvoices.up(trx));
    const after = await mine();
    expect(after.map((row: { total: number | string }) => Number(row.total))).to.deep.equal([2, 1]);
    expect(after).to.deep.equal(before);
  });

  describe('idempotency keys', () => {
    const use = (overrides: Partial<KeyUse> = {}): KeyUse => ({
      userId: 'user-a',
      key: 'k-1',
      orderType: 'PURCHASE',
      fingerprint: 'f'.repeat(64),
      ...overrides,
    });

    it('answers 409 while the key is claimed and 422 for another body or route, even then', async () => {
      const now = new Date();
      const claimed = await claimKey(keys, use({ key: 'held' }), now, 'GOLD_999');
      expect(claimed.kind).to.equal('claimed');
      expect(await problemCode(claimKey(keys, use({ key: 'held' }), now, 'GOLD_999'))).to.equal(
        'idempotency-key-in-flight',
      );
      expect(
        await problemCode(claimKey(keys, use({ key: 'held', fingerprint: 'e'.repeat(64) }), now, 'GOLD_999')),
      ).to.equal('idempotency-key-reused');
      expect(await problemCode(claimKey(keys, use({ key: 'held', orderType: 'SALE' }), now, 'GOLD_999'))).to.equal(
        'idempotency-key-reused',
      );
      // Keys belong to a user, and compare exactly (case included) on both databases.
      expect((await claimKey(keys, use({ key: 'held', userId: 'user-b' }), now, 'GOLD_999')).kind).to.equal('claimed');
      expect((await claimKey(keys, use({ key: 'HELD' }), now, 'GOLD_999')).kind).to.equal('claimed');
    });

    it('lets a request with the same body take over a claim abandoned for longer than the lease, for the same order', async () => {
      const start = new Date();
      const abandoned = await claimKey(keys, use({ key: 'abandoned' }), start, 'GOLD_999');
      const almost = new Date(start.getTime() + claimLeaseMs - 1);
      expect(await problemCode(claimKey(keys, use({ key: 'abandoned' }), almost, 'GOLD_999'))).to.equal(
        'idempotency-key-in-flight',
      );
      const later = new Date(start.getTime() + claimLeaseMs);
      expect(
        await problemCode(claimKey(keys, use({ key: 'abandoned', fingerprint: 'e'.repeat(64) }), later, 'GOLD_999')),
      ).to.equal('idempotency-key-reused');
      const takeover = await claimKey(keys, use({ key: 'abandoned' }), later, 'GOLD_999');
      if (abandoned.kind !== 'claimed' || takeover.kind !== 'claimed') throw new Error('expected claims');
      // Both holders write the same order id, so at most one of them can store it.
      expect(takeover.claim.invoiceId).to.equal(abandoned.claim.invoiceId);
      expect(takeover.claim.token).to.not.equal(abandoned.claim.token);
      // The old holder can no longer give the key back.
      await keys.release(abandoned.claim);
      expect(await complete(takeover.claim)).to.equal(true);
      expect(await claimKey(keys, use({ key: 'abandoned' }), later, 'GOLD_999')).to.deep.equal({
        kind: 'replay',
        invoiceId: abandoned.claim.invoiceId,
      });
    });

    it('answers a create whose claim was taken over and settled by the old holder with that order', async function () {
      // A row lock holds the new holder's insert until the old holder has stored the order.
      if (database.kind !== 'mysql') this.skip();
      const actor = userPrincipal();
      const key = 'outlived';
      const fingerprint = requestFingerprint({ ...normalizeOrder(body) });
      const abandoned = await claimKey(
        keys,
        { userId: actor.userId, key, orderType: 'PURCHASE', fingerprint },
        new Date(Date.now() - claimLeaseMs),
        'GOLD_999',
      );
      if (abandoned.kind !== 'claimed') throw new Error('expected a claim');
      const at = toDbTime(new Date());
      const oldHolder = await db.transaction();
      try {
        await oldHolder('invoices').insert({
          id: abandoned.claim.invoiceId,
          order_number: randomOrderNumber('PURCHASE', '20260131'),
          order_type: 'PURCHASE',
          status: 'PENDING',
          product_type: body.productType,
          quantity: '1.00',
          price_per_gram: '100000.00',
          total_price: '100000.00',
          currency: 'KRW',
          delivery_address: body.deliveryAddress.trim(),
          recipient_name: body.recipientName,
          contact_number: body.contactNumber,
          postal_code: body.postalCode,
          user_id: actor.userId,
          idempotency_key: key,
          created_at: at,
          updated_at: at,
          cancelled_at: null,
        });
        const newHolder = createOrder(deps, { actor, orderType: 'PURCHASE', body, idempotencyKey: key });
        // Wait until the new holder has taken the claim over and its insert of the order is held.
        for (let i = 0; ; i++) {
          const row = await db('idempotency_keys').where({ user_id: actor.userId, idempotency_key: key }).first();
          const [held] = await db.raw(
            "select count(*) as n from information_schema.processlist where info like 'insert into invoices (%'",
          );
          if (row.claim_token !== abandoned.claim.token && Number(held[0].n) > 0) break;
          if (i > 500) throw new Error('the new holder never took the claim over');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const completion = completeClaimStatement(abandoned.claim, at);
        await oldHolder.raw(completion.sql, completion.params);
        await oldHolder.commit();
        const answered = await newHolder;
        expect([answered.id, answered.totalPrice]).to.deep.equal([abandoned.claim.invoiceId, '100000.00']);
        const stored = await db('invoices').where({ user_id: actor.userId }).select('id');
        expect(stored.map((row: { id: string }) => row.id)).to.deep.equal([abandoned.claim.invoiceId]);
      } finally {
        if (!oldHolder.isCompleted()) await oldHolder.rollback();
      }
    });

    it("refuses a second order under a claim's order id (the primary key), which a create reads as the key settled", async () => {
      const actor = userPrincipal();
      const first = await createOrder(deps, { actor, orderType: 'PURCHASE', body, idempotencyKey: 'settled' });
      const stored = await orders.find(first.id);
      if (!stored) throw new Error('expected the order');
      const outcome = await orders.insert({
        invoice: { ...stored.invoice, order_number: randomOrderNumber('PURCHASE', '20260131') },
        history: [{ ...stored.history[0], id: uuidv7() }],
      });
      expect(outcome.kind).to.equal('id-taken');
      expect(isPrimaryKeyViolation(new Error("Duplicate entry 'P-1' for key 'invoices_order_number_unique'"))).to.equal(
        false,
      );
      expect((await db('invoices').where({ user_id: actor.userId }).select('id')).map((row) => row.id)).to.deep.equal([
        first.id,
      ]);
    });

    it('replays a completed key for 24 hours, then treats it as new', async () => {
      const start = new Date();
      const first = await claimKey(keys, use({ key: 'daily' }), start, 'GOLD_999');
      if (first.kind !== 'claimed') throw new Error('expected a claim');
      const invoiceId = first.claim.invoiceId;
      await complete(first.claim);
      const dayLater = (ms: number) => new Date(start.getTime() + ms);
      expect(await claimKey(keys, use({ key: 'daily' }), dayLater(keyRetentionMs - 1), 'GOLD_999')).to.deep.equal({
        kind: 'replay',
        invoiceId,
      });
      expect(
        await problemCode(
          claimKey(keys, use({ key: 'daily', orderType: 'SALE' }), dayLater(keyRetentionMs - 1), 'GOLD_999'),
        ),
      ).to.equal('idempotency-key-reused');
      const reused = await claimKey(
        keys,
        use({ key: 'daily', orderType: 'SALE' }),
        dayLater(keyRetentionMs),
        'GOLD_999',
      );
      if (reused.kind !== 'claimed') throw new Error('expected a claim');
      // A new order: the expired key's order stays as it was.
      expect(reused.claim.invoiceId).to.not.equal(invoiceId);
    });
  });
});
