import { expect } from 'chai';
import { createWithRetries, type LogicalOrder } from './support/idempotent-client';
import { countResults, percentile, startLoad, type Outcome } from './support/load';
import { cancelOrder, changeStatus, getOrder, placeOrder, type Order } from './support/orders';
import { orderCounterErrors } from './support/orders-db';
import { sleep } from '../support/managed-process';
import { report } from './support/report';
import { bearer, Stack, type Account } from './support/stack';
import type { FaultMode } from './support/fault-proxy';

interface Fault {
  name: string;
  /** How long the fault lasts before the heal. */
  holdMs: number;
  apply(stack: Stack): Promise<void>;
}

/** Both programs lose their database the same way at the same time. */
const faults: Fault[] = [
  {
    name: 'connections cut, connects refused',
    holdMs: 4000,
    async apply(stack) {
      for (const proxy of [stack.ordersProxy, stack.authProxy]) {
        await proxy.setMode('refuse');
        proxy.cutAll();
      }
    },
  },
  {
    name: 'connections cut, connects reset',
    holdMs: 4000,
    async apply(stack) {
      for (const proxy of [stack.ordersProxy, stack.authProxy]) {
        await proxy.setMode('reset');
        proxy.cutAll();
      }
    },
  },
  {
    name: 'connections cut, connects hang (black hole)',
    // Longer than the gateway's connect and pool-acquire timeouts (5 s): a request must give up with 503 in time.
    holdMs: 7000,
    async apply(stack) {
      for (const proxy of [stack.ordersProxy, stack.authProxy]) {
        await proxy.setMode('blackhole' as FaultMode);
        proxy.cutAll();
      }
    },
  },
  {
    name: '1.5 s latency each way',
    holdMs: 4000,
    async apply(stack) {
      for (const proxy of [stack.ordersProxy, stack.authProxy]) proxy.setLatency(1500);
    },
  },
];

describe('Scenario 2: database failure through the fault proxy', function () {
  this.timeout(240_000);
  const section = report.section('Scenario 2 — MariaDB cut, reset, black-holed and slowed through the fault proxy');
  let stack: Stack;
  let clients: Account[];
  /** Orders the load confirms or cancels again and again (both are no-ops once done). */
  let changing: Array<{ account: Account; order: Order; action: 'confirm' | 'cancel' }>;

  before(async () => {
    stack = await Stack.start({ label: 's2' });
    clients = [await stack.newUser(), await stack.newUser(), await stack.newUser()];
    changing = [];
    for (const account of clients) {
      for (const action of ['confirm', 'cancel'] as const) {
        for (const kind of ['purchase', 'sale'] as const)
          changing.push({ account, action, order: await placeOrder(stack, account.accessToken, kind) });
      }
    }
  });
  after(async () => {
    await stack?.stop();
  });

  it('answers 503 while the database is gone, recovers by itself, and keeps every acknowledged order exactly once', async () => {
    const gatewayPid = stack.gateway.pid;
    const authPid = stack.auth.pid;
    // Reads of the orders database (orders, products), of the auth database (login), of both
    // (readyz), and status changes (a transaction: status, history, counters) repeated as no-ops.
    const reads = ['orders', 'products', 'healthz', 'readyz', 'login', 'change'] as const;
    const load = startLoad({
      concurrency: 16,
      maxOperations: 20_000,
      maxDurationMs: 150_000,
      ratePerSecond: 60,
      operation: (index) => {
        const label = reads[index % reads.length];
        const round = Math.floor(index / reads.length);
        const client = clients[round % clients.length];
        if (label === 'change') {
          const { account, order, action } = changing[round % changing.length];
          return {
            label,
            run: () =>
              action === 'confirm'
                ? changeStatus(stack, account.accessToken, order.id, 'ORDER_COMPLETED')
                : cancelOrder(stack, account.accessToken, order.id),
          };
        }
        if (label === 'login')
          return {
            label,
            run: () =>
              stack.request({
                method: 'POST',
                path: '/auth/login',
                body: { username: client.username, password: client.password },
                timeoutMs: 15_000,
              }),
          };
        const path = { orders: '/orders?limit=5', products: '/products', healthz: '/healthz', readyz: '/readyz' }[
          label
        ];
        return {
          label,
          run: () =>
            stack.request({
              method: 'GET',
              path,
              headers: label === 'orders' ? bearer(client.accessToken) : {},
              timeoutMs: 15_000,
            }),
        };
      },
    });
    const at = () => performance.now() - load.startedAt;

    // Order creation: three careful clients creating orders one after another with retries.
    let creating = true;
    const logical: LogicalOrder[] = [];
    const creators = clients.map(async (client, i) => {
      let n = 0;
      // Paced so that creation spans every fault however fast the system is (a new logical
      // order every 200 ms per client), and bounded: at most 250 per client.
      while (creating && n < 250) {
        n += 1;
        const started = performance.now();
        const quantity = `${1 + ((n * 7 + i) % 50)}.${String((n * 13) % 100).padStart(2, '0')}`;
        logical.push(
          await createWithRetries(stack, client, {
            kind: n % 2 === 0 ? 'sale' : 'purchase',
            quantity,
            deadlineMs: 60_000,
          }),
        );
        await sleep(Math.max(0, 200 - (performance.now() - started)));
      }
    });

    const windows: Array<{
      name: string;
      from: number;
      healedAt: number;
      to: number;
      readyAgainMs: number;
      serviceAgainMs: number;
    }> = [];
    await sleep(3000);
    for (const fault of faults) {
      const from = at();
      await fault.apply(stack);
      await sleep(fault.holdMs);
      const healedAt = at();
      await stack.ordersProxy.heal();
      await stack.authProxy.heal();
      // Recovery: readiness and a fresh database-backed request, polled from the heal on.
      let readyAgainMs = -1;
      let serviceAgainMs = -1;
      const pollStarted = performance.now();
      while ((readyAgainMs < 0 || serviceAgainMs < 0) && performance.now() - pollStarted < 30_000) {
        if (readyAgainMs < 0 && (await stack.tryRequest({ method: 'GET', path: '/readyz' }))?.status === 200)
          readyAgainMs = performance.now() - pollStarted;
        if (serviceAgainMs < 0 && (await stack.tryRequest({ method: 'GET', path: '/products' }))?.status === 200)
          serviceAgainMs = performance.now() - pollStarted;
        await sleep(50);
      }
      await sleep(2500);
      windows.push({ name: fault.name, from, healedAt, to: at(), readyAgainMs, serviceAgainMs });
    }
    creating = false;
    await Promise.all(creators);
    const outcomes = await load.stop();

    // Judge the reads. A request still running when a fault came or went may have met either
    // side of it (e.g. reached a database healed a moment after it started): such a request
    // must answer 503 or 200, never anything else, but proves neither outage nor recovery.
    const endedMs = (o: Outcome) => o.startedMs + o.durationMs;
    const inFault = (o: Outcome) => windows.find((w) => o.startedMs >= w.from && o.startedMs < w.healedAt);
    const settled = (o: Outcome) =>
      windows.every(
        (w) => endedMs(o) < w.from || o.startedMs > w.healedAt + Math.max(w.serviceAgainMs, w.readyAgainMs) + 1500,
      );
    const dbRoutes = outcomes.filter((o) => o.label !== 'healthz');
    const outageDb = dbRoutes.filter((o) => {
      const w = inFault(o);
      return w && !w.name.includes('latency') && o.startedMs > w.from + 1500;
    });
    const straddlesHeal = (o: Outcome) => endedMs(o) >= inFault(o)!.healedAt;
    const outageAnswerOk = (o: Outcome) => o.result === 503 || (o.result === 200 && straddlesHeal(o));
    const allAttempts = logical.flatMap((l) => l.attempts);
    /** A few of the outcomes, placed in their fault window, for a broken invariant's detail. */
    const examples = (list: Outcome[]) =>
      list
        .slice(0, 3)
        .map((o) => {
          const w = windows.find((x) => o.startedMs >= x.from && o.startedMs < x.to);
          const where = w
            ? `${(o.startedMs - w.from).toFixed(0)} ms into "${w.name}"`
            : `at ${o.startedMs.toFixed(0)} ms`;
          return `${o.label} ${where}, ${o.durationMs.toFixed(0)} ms: ${o.result} ${(o.response?.text ?? '').slice(0, 120)}`;
        })
        .join('; ');

    // Judge the orders through the API and directly in the database.
    const db = stack.ordersConnection();
    const acknowledged = logical.filter((l) => l.created);
    const mismatches: string[] = [];
    try {
      for (const order of acknowledged) {
        const ids = new Set(order.answers.map((a) => a.id));
        if (ids.size !== 1) mismatches.push(`${order.key}: answers name ${ids.size} orders`);
        const stored = await getOrder(stack, order.account.accessToken, order.created!.id);
        if (stored.status !== 200) mismatches.push(`${order.key}: GET ${stored.status}`);
        else if (JSON.stringify(stored.json) !== JSON.stringify(order.created))
          mismatches.push(`${order.key}: stored ${stored.text} != returned ${JSON.stringify(order.created)}`);
      }
      // Each order the load confirmed or cancelled: in its final state, each arrow recorded once
      // however many times the change was retried through the faults.
      const changeErrors: string[] = [];
      for (const { account, order, action } of changing) {
        const stored = await getOrder(stack, account.accessToken, order.id);
        const final = stored.json as Order;
        const to = action === 'confirm' ? 'ORDER_COMPLETED' : 'CANCELLED';
        const history = stored.status === 200 ? final.statusHistory.map((h) => `${h.from}>${h.to}`).join(' ') : '';
        if (
          stored.status !== 200 ||
          final.status !== to ||
          history !== `null>PENDING PENDING>${to}` ||
          (final.cancelledAt !== null) !== (to === 'CANCELLED')
        )
          changeErrors.push(`${order.id}: ${stored.status} ${final?.status} [${history}]`);
      }
      const tables = (await db.raw('show tables'))[0] as Array<Record<string, string>>;
      const names = tables.map((row) => Object.values(row)[0]);
      const orderTable = names.includes('invoices')
        ? 'invoices'
        : names.find((n) => /order|invoice/.test(n) && !/history|migrat|idempot/.test(n));
      const rowCount = Number(((await db(orderTable!).count({ n: '*' })) as Array<{ n: number }>)[0].n);
      const columns = Object.keys(await db(orderTable!).columnInfo());
      const keyColumn = columns.find((c) => /idempotency/.test(c));
      let duplicateKeys = 0;
      if (keyColumn) {
        const rows = (await db(orderTable!)
          .select(keyColumn)
          .count({ n: '*' })
          .whereNotNull(keyColumn)
          .groupBy(keyColumn)
          .having(db.raw('count(*) > 1'))) as unknown[];
        duplicateKeys = rows.length;
      }
      const counterErrors = await orderCounterErrors(db);
      const gaveUp = logical.filter((l) => !l.created);
      section
        .figure('Load requests sent (reads, logins, status changes)', outcomes.length)
        .counts('Load status counts', countResults(outcomes))
        .counts(
          'Status changes and cancels (no-ops once applied)',
          countResults(outcomes.filter((o) => o.label === 'change')),
        )
        .counts('Hard-outage requests still running at the heal', countResults(outageDb.filter(straddlesHeal)))
        .figure(
          '503 answer time during hard outages: p50 / p99 / max',
          `${[50, 99, 100]
            .map((p) =>
              percentile(
                outageDb.filter((o) => o.result === 503).map((o) => o.durationMs),
                p,
              ).toFixed(0),
            )
            .join(' / ')} ms`,
        )
        .figure('Logical orders (one idempotency key each)', logical.length)
        .figure('Create attempts (with retries)', allAttempts.length)
        .counts(
          'Create attempt results',
          countResults(
            allAttempts.map((result) => ({ label: '', result: result as never, startedMs: 0, durationMs: 0 })),
          ),
        )
        .figure('Most attempts for one key', Math.max(...logical.map((l) => l.attempts.length)))
        .figure('Orders acknowledged (2xx)', acknowledged.length)
        .figure(`Rows in ${orderTable}`, rowCount)
        .table(
          'Faults (both databases at once, each held, then healed)',
          [
            'fault',
            'held',
            'requests during fault',
            'statuses during fault',
            'heal → /readyz 200',
            'heal → GET /products 200',
          ],
          windows.map((w) => {
            const during = outcomes.filter((o) => o.startedMs >= w.from && o.startedMs < w.healedAt);
            return [
              w.name,
              `${((w.healedAt - w.from) / 1000).toFixed(1)} s`,
              during.length,
              JSON.stringify(countResults(during)),
              `${w.readyAgainMs.toFixed(0)} ms`,
              `${w.serviceAgainMs.toFixed(0)} ms`,
            ];
          }),
        );
      section.invariant(
        'database-backed requests during a hard outage answered 503 (never 500, never a hang; 200 only for one still running at the heal)',
        outageDb.length > 0 && outageDb.every(outageAnswerOk),
        `${JSON.stringify(countResults(outageDb))} ${examples(outageDb.filter((o) => !outageAnswerOk(o)))}`,
      );
      section.invariant(
        'every request during a hard outage was answered within 7 s (the database timeouts are 5 s)',
        outageDb.every((o) => o.durationMs <= 7000),
        examples(outageDb.filter((o) => o.durationMs > 7000)),
      );
      section.invariant(
        '/readyz answered 503 during hard outages (200 only for one still running at the heal)',
        outageDb.filter((o) => o.label === 'readyz').every(outageAnswerOk),
        examples(outageDb.filter((o) => o.label === 'readyz' && !outageAnswerOk(o))),
      );
      section.invariant(
        'every 503 carried Retry-After and problem details',
        outcomes
          .filter((o) => o.result === 503 && o.label !== 'readyz')
          .every(
            (o) =>
              Number(o.response?.headers['retry-after']) >= 1 &&
              String(o.response?.headers['content-type']).startsWith('application/problem+json'),
          ),
      );
      section.invariant(
        '/healthz stayed 200 throughout',
        outcomes.filter((o) => o.label === 'healthz').every((o) => o.result === 200),
      );
      section.invariant(
        'no 500 and no request without an answer, reads or creates',
        [...outcomes.map((o) => o.result), ...allAttempts].every((r) => typeof r === 'number' && r !== 500),
        examples(outcomes.filter((o) => typeof o.result !== 'number' || o.result === 500)),
      );
      section.invariant(
        'both programs recovered by themselves (readiness and service within 10 s of every heal)',
        windows.every(
          (w) => w.readyAgainMs >= 0 && w.readyAgainMs < 10_000 && w.serviceAgainMs >= 0 && w.serviceAgainMs < 10_000,
        ),
      );
      section.invariant(
        'after recovery every request succeeded',
        outcomes.filter(settled).every((o) => o.result === 200),
        `${JSON.stringify(countResults(outcomes.filter(settled)))} ${examples(outcomes.filter((o) => settled(o) && o.result !== 200))}`,
      );
      section.invariant(
        'every logical order was eventually acknowledged',
        gaveUp.length === 0,
        gaveUp.map((l) => `${l.key}: ${l.attempts.join(',')}`).join('; '),
      );
      section.invariant(
        'every acknowledged order exists with exactly the returned values',
        mismatches.length === 0,
        mismatches.slice(0, 3).join('; '),
      );
      section.invariant(
        'one row per idempotency key: rows in the orders table = acknowledged orders (+ the orders changed by the load)',
        rowCount === acknowledged.length + changing.length,
        `${rowCount} rows, ${acknowledged.length} + ${changing.length} acknowledged`,
      );
      section.invariant(
        'status changes and cancels retried through the faults: final state reached, each arrow recorded once',
        changeErrors.length === 0,
        changeErrors.slice(0, 3).join('; '),
      );
      section.invariant(
        'no idempotency key stored twice',
        duplicateKeys === 0,
        keyColumn ? `column ${keyColumn}` : 'no key column found',
      );
      section.invariant(
        'nothing half-written: the per-user order counters agree with the orders',
        counterErrors.length === 0,
        counterErrors.slice(0, 3).join('; '),
      );
      section.invariant(
        'neither program was restarted',
        stack.gateway.pid === gatewayPid && stack.gateway.running && stack.auth.pid === authPid && stack.auth.running,
      );
    } finally {
      await db.destroy();
    }
    expect(section.invariants.filter((i) => !i.held).map((i) => `${i.name}: ${i.detail ?? ''}`)).to.deep.equal([]);
  });
});
