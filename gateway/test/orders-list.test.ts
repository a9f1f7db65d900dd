import { expect } from 'chai';
import { describeEachDatabase } from '../../common/test/databases';
import { changeStatusRequest, createOrder, listRequest, type Order, type OrderPage } from './support/orders-fixtures';
import { insertOrderAt } from './support/orders-rows';
import { expectProblem } from './support/problems';
import { startSystem, type TestAccount, type TestSystem } from './support/system';

/** Newest first, ties by id descending: the list's order. */
function newestFirst(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : -1;
}

describeEachDatabase('orders: lists', (database) => {
  let system: TestSystem;
  let admin: TestAccount;
  before(async () => {
    system = await startSystem(database);
    admin = await system.registerAndLogin('ADMIN');
  });
  after(() => system?.stop());

  async function page(account: TestAccount, pathAndQuery: string): Promise<OrderPage> {
    const res = await listRequest(system, account, pathAndQuery);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body as OrderPage;
  }

  /** Follows links.next from the first page and returns every id in order. */
  async function walk(
    account: TestAccount,
    first: string,
    betweenPages: () => Promise<unknown> = async () => undefined,
  ) {
    const ids: string[] = [];
    let next: string | null = first;
    while (next !== null) {
      const current: OrderPage = await page(account, next);
      ids.push(...current.data.map((order) => order.id));
      next = current.links.next;
      await betweenPages();
    }
    return ids;
  }

  it("shows a USER only their own orders, newest first, with their histories; an ADMIN sees everyone's", async () => {
    const [alice, bob] = await Promise.all([system.registerAndLogin(), system.registerAndLogin()]);
    const aliceOrders = [await createOrder(system, alice), await createOrder(system, alice, { kind: 'sale' })];
    const bobOrder = await createOrder(system, bob);
    await changeStatusRequest(system, alice, aliceOrders[0].id, 'ORDER_COMPLETED');
    const mine = await page(alice, '/orders');
    expect(mine.data.map((order) => order.id)).to.deep.equal([aliceOrders[1].id, aliceOrders[0].id]);
    expect(mine.data[1].statusHistory.map((entry) => entry.to)).to.deep.equal(['PENDING', 'ORDER_COMPLETED']);
    expect(mine.page).to.deep.equal({ limit: 10, offset: 0, total: 2 });
    expect(mine.links).to.deep.equal({ next: null, previous: null });
    const everyone = await page(admin, '/orders?limit=100');
    const ids = everyone.data.map((order) => order.id);
    expect(ids).to.include.members([bobOrder.id, ...aliceOrders.map((order) => order.id)]);
    expect(everyone.page.total).to.equal(Number((await system.ordersDb('invoices').count({ n: '*' }))[0].n));
  });

  it('breaks ties of creation time by id, descending', async () => {
    const user = await system.registerAndLogin();
    const sameInstant = new Date('2026-03-01T03:00:00.000Z');
    const rows = await Promise.all(
      Array.from({ length: 4 }, () =>
        insertOrderAt(system.gateway.db, { userId: user.userId, createdAt: sameInstant }),
      ),
    );
    const listed = await page(user, '/orders');
    expect(listed.data.map((order) => order.id)).to.deep.equal(
      rows
        .map((row) => row.id)
        .sort()
        .reverse(),
    );
  });

  it('filters by business day (Asia/Seoul): [00:00, 24:00) local is [15:00Z the day before, 15:00Z)', async () => {
    const [user, other] = await Promise.all([system.registerAndLogin(), system.registerAndLogin()]);
    const at = (iso: string, userId = user.userId) =>
      insertOrderAt(system.gateway.db, { userId, createdAt: new Date(iso) });
    const lastOfPreviousDay = await at('2026-01-30T14:59:59.999Z');
    const firstOfDay = await at('2026-01-30T15:00:00.000Z');
    const lastOfDay = await at('2026-01-31T14:59:59.999Z');
    const firstOfNextDay = await at('2026-01-31T15:00:00.000Z');
    const othersOrder = await at('2026-01-31T01:00:00.000Z', other.userId);
    const day = await page(user, '/orders?date=2026-01-31');
    expect(day.data.map((order) => order.id)).to.deep.equal([lastOfDay.id, firstOfDay.id]);
    expect(day.page.total).to.equal(2);
    expect((await page(user, '/orders?date=2026-01-30')).data.map((order) => order.id)).to.deep.equal([
      lastOfPreviousDay.id,
    ]);
    expect((await page(user, '/orders?date=2026-02-01')).data.map((order) => order.id)).to.deep.equal([
      firstOfNextDay.id,
    ]);
    const adminDay = await page(admin, '/orders?date=2026-01-31');
    expect(adminDay.data.map((order) => order.id)).to.deep.equal([lastOfDay.id, othersOrder.id, firstOfDay.id]);
    expect((await page(user, '/orders?date=2026-01-29')).page.total).to.equal(0);
  });

  it('filters by order type and status, alone, together and with a day, counting the matches', async () => {
    const user = await system.registerAndLogin();
    const purchase = await createOrder(system, user);
    const sale = await createOrder(system, user, { kind: 'sale' });
    const confirmedSale = await createOrder(system, user, { kind: 'sale' });
    await changeStatusRequest(system, user, confirmedSale.id, 'ORDER_COMPLETED');
    const dated = await insertOrderAt(system.gateway.db, {
      userId: user.userId,
      createdAt: new Date('2026-02-10T01:00:00Z'),
      orderType: 'SALE',
      status: 'ORDER_COMPLETED',
    });
    const cases: Array<[string, string[]]> = [
      ['orderType=PURCHASE', [purchase.id]],
      ['orderType=SALE', [confirmedSale.id, sale.id, dated.id]],
      ['status=PENDING', [sale.id, purchase.id]],
      ['orderType=SALE&status=ORDER_COMPLETED', [confirmedSale.id, dated.id]],
      ['orderType=SALE&status=ORDER_COMPLETED&date=2026-02-10', [dated.id]],
      ['orderType=PURCHASE&date=2026-02-10', []],
      ['status=SHIPPED', []],
    ];
    for (const [query, expected] of cases) {
      const listed = await page(user, `/orders?${query}`);
      expect(
        listed.data.map((order) => order.id),
        query,
      ).to.deep.equal(expected);
      expect(listed.page.total, query).to.equal(expected.length);
    }
    const adminDay = await page(admin, '/orders?orderType=SALE&status=ORDER_COMPLETED&date=2026-02-10');
    expect(adminDay.data.map((order) => order.id)).to.deep.equal([dated.id]);
  });

  it('pages with limit and offset, and links that keep the filters', async () => {
    const user = await system.registerAndLogin();
    const created: Order[] = [];
    for (let i = 0; i < 5; i++) created.push(await createOrder(system, user, { kind: 'sale' }));
    const expected = created.map((order) => order.id).reverse();
    const first = await page(user, '/orders?orderType=SALE&status=PENDING&limit=2');
    expect(first.data.map((order) => order.id)).to.deep.equal(expected.slice(0, 2));
    expect(first.page).to.deep.equal({ limit: 2, offset: 0, total: 5 });
    expect(first.links).to.deep.equal({
      next: '/orders?orderType=SALE&status=PENDING&limit=2&offset=2',
      previous: null,
    });
    const last = await page(user, '/orders?orderType=SALE&status=PENDING&limit=2&offset=3');
    expect(last.data.map((order) => order.id)).to.deep.equal(expected.slice(3, 5));
    expect(last.links).to.deep.equal({
      next: null,
      previous: '/orders?orderType=SALE&status=PENDING&limit=2&offset=1',
    });
    const beyond = await page(user, '/orders?limit=2&offset=9');
    expect(beyond.data).to.deep.equal([]);
    expect(beyond.page).to.deep.equal({ limit: 2, offset: 9, total: 5 });
    expect(beyond.links).to.deep.equal({ next: null, previous: '/orders?limit=2&offset=7' });
    const dated = await page(user, '/orders?date=2026-01-31&limit=1&offset=1');
    expect(dated.links).to.deep.equal({ next: null, previous: '/orders?date=2026-01-31&limit=1&offset=0' });
  });

  it('walks pages without repeats or gaps while other orders are being added', async () => {
    const [walker, busy] = await Promise.all([system.registerAndLogin(), system.registerAndLogin()]);
    const own: string[] = [];
    for (let i = 0; i < 7; i++) own.push((await createOrder(system, walker)).id);
    // Orders of the same instant straddle a page boundary too.
    const tie = new Date('2026-03-02T00:00:00.000Z');
    const tied = await Promise.all(
      Array.from({ length: 3 }, () => insertOrderAt(system.gateway.db, { userId: walker.userId, createdAt: tie })),
    );
    const expected = [
      ...own.reverse(),
      ...tied
        .map((row) => row.id)
        .sort()
        .reverse(),
    ];
    const addOthers = () => Promise.all([createOrder(system, busy), createOrder(system, busy, { kind: 'sale' })]);
    expect(await walk(walker, '/orders?limit=3', addOthers)).to.deep.equal(expected);

    // An ADMIN walking a past business day while today's orders keep arriving.
    const dayRows = await Promise.all(
      [
        '2026-03-05T00:00:00.000Z',
        '2026-03-05T00:00:00.000Z',
        '2026-03-05T06:30:00.000Z',
        '2026-03-05T14:59:59.999Z',
        '2026-03-04T15:00:00.000Z',
      ].map((iso) => insertOrderAt(system.gateway.db, { userId: busy.userId, createdAt: new Date(iso) })),
    );
    const dayExpected = dayRows
      .map((row) => ({ id: row.id, createdAt: row.created_at }))
      .sort(newestFirst)
      .map((row) => row.id);
    expect(await walk(admin, '/orders?date=2026-03-05&limit=2', addOthers)).to.deep.equal(dayExpected);
  });

  it('refuses list queries that break the contract (400)', async () => {
    for (const query of [
      'limit=0',
      'limit=101',
      'offset=-1',
      'date=2026-02-30',
      'date=20260131',
      'orderType=purchase',
      'page=2',
    ]) {
      const res = await listRequest(system, admin, `/orders?${query}`);
      expect([res.status, res.body.type], query).to.deep.equal([400, 'https://aletheia.gold/problems/invalid-request']);
    }
    expectProblem(await listRequest(system, admin, '/orders?limit=0'), 400, 'invalid-request');
  });
});
