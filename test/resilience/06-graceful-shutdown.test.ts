import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { countResults, startLoad, type Outcome } from './support/load';
import { createOrder, getOrder, orderBody, type Order } from './support/orders';
import { orderCounterErrors } from './support/orders-db';
import { portAccepts, sleep } from '../support/managed-process';
import { report } from './support/report';
import { bearer, Stack, type Account } from './support/stack';

describe('Scenario 6: graceful shutdown under load', function () {
  this.timeout(180_000);
  const section = report.section('Scenario 6 — SIGTERM under load');
  let stack: Stack;
  let users: Account[];

  before(async () => {
    stack = await Stack.start({ label: 's6' });
    users = [await stack.newUser(), await stack.newUser()];
  });
  after(async () => {
    await stack?.stop();
  });

  it('gateway: in-flight requests complete, new connections are refused, exit 0, nothing half-written', async () => {
    // Slow the orders database so that creates are surely in flight at the signal.
    stack.ordersProxy.setLatency(100);
    const keys: string[] = [];
    const load = startLoad({
      concurrency: 8,
      maxOperations: 5000,
      maxDurationMs: 30_000,
      operation: (index) => {
        const user = users[index % users.length];
        if (index % 2 === 0) {
          keys[index] = `sd-${randomUUID()}`;
          return {
            label: String(index),
            run: () =>
              createOrder(stack, user.accessToken, {
                key: keys[index],
                body: orderBody({ quantity: `${1 + (index % 9)}.00` }),
                timeoutMs: 20_000,
              }),
          };
        }
        return {
          label: 'list',
          run: () =>
            stack.request({
              method: 'GET',
              path: '/orders?limit=5',
              headers: bearer(user.accessToken),
              timeoutMs: 20_000,
            }),
        };
      },
    });
    await sleep(2500);
    const signalledAt = performance.now() - load.startedAt;
    stack.gateway.signal('SIGTERM');
    await sleep(100);
    const refusedAfterSignal = !(await portAccepts(stack.apiPort));
    const exit = await stack.gateway.exited;
    const exitedAt = performance.now() - load.startedAt;
    await sleep(300);
    const outcomes = await load.stop();
    stack.ordersProxy.setLatency(0);

    const inFlight = outcomes.filter((o) => o.startedMs < signalledAt && o.startedMs + o.durationMs > signalledAt);
    const before = outcomes.filter((o) => o.startedMs < signalledAt);
    const after = outcomes.filter((o) => o.startedMs >= signalledAt);
    const created = outcomes.filter((o) => o.result === 201).map((o) => o.response?.json as Order);

    await stack.startGateway();
    const mismatches: string[] = [];
    for (const order of created) {
      let stored = await getOrder(stack, users[0].accessToken, order.id);
      if (stored.status === 403) stored = await getOrder(stack, users[1].accessToken, order.id);
      if (stored.status !== 200 || JSON.stringify(stored.json) !== JSON.stringify(order)) mismatches.push(order.id);
    }
    const db = stack.ordersConnection();
    let orphans = -1;
    let rows = -1;
    let unacknowledged: string[] = [];
    let counterErrors: string[] = [];
    try {
      // A stored order nobody was told about: what did its request get?
      const acknowledgedIds = new Set(created.map((order) => order.id));
      const stored = (await db('invoices').select('id', 'idempotency_key')) as Array<{
        id: string;
        idempotency_key: string | null;
      }>;
      unacknowledged = stored
        .filter((row) => !acknowledgedIds.has(row.id))
        .map((row) => {
          const outcome = outcomes.find((o) => keys[Number(o.label)] === row.idempotency_key);
          if (!outcome) return `${row.id}: no request with key ${String(row.idempotency_key)}`;
          return `${row.id}: ${outcome.result}, started ${(outcome.startedMs - signalledAt).toFixed(0)} ms from SIGTERM, ${outcome.durationMs.toFixed(0)} ms`;
        });
      counterErrors = await orderCounterErrors(db);
      const [result] = (await db.raw(
        'select count(*) as n from invoices i where not exists (select 1 from invoice_status_history h where h.invoice_id = i.id)',
      )) as [Array<{ n: string }>];
      orphans = Number(result[0].n);
      const [count] = (await db.raw('select count(*) as n from invoices')) as [Array<{ n: string }>];
      rows = Number(count[0].n);
    } catch (error) {
      section.note(`History check could not run: ${(error as Error).message}`);
    } finally {
      await db.destroy();
    }

    section
      .figure('Gateway: requests sent', outcomes.length)
      .counts('Gateway: requests started before SIGTERM', countResults(before))
      .counts('Gateway: requests in flight at SIGTERM', countResults(inFlight))
      .counts('Gateway: requests started after SIGTERM', countResults(after))
      .figure('Gateway: SIGTERM to exit', `${(exitedAt - signalledAt).toFixed(0)} ms`)
      .figure('Gateway: exit', JSON.stringify(exit))
      .figure('Gateway: orders acknowledged / rows in invoices', `${created.length} / ${rows}`);
    const held = [
      section.invariant(
        'every request in flight at SIGTERM completed with its real answer (2xx)',
        inFlight.length > 0 && inFlight.every((o) => o.result === 200 || o.result === 201),
        JSON.stringify(countResults(inFlight)),
      ),
      section.invariant('new connections were refused right after SIGTERM', refusedAfterSignal),
      section.invariant(
        'requests after SIGTERM were refused or reset cleanly, never a 5xx',
        after.every(
          (o: Outcome) =>
            o.result === 'refused' || o.result === 'reset' || (typeof o.result === 'number' && o.result < 500),
        ),
      ),
      section.invariant('the gateway exited with code 0', exit.code === 0, JSON.stringify(exit)),
      section.invariant(
        'every acknowledged order is stored exactly as returned',
        mismatches.length === 0,
        mismatches.slice(0, 3).join(', '),
      ),
      section.invariant(
        'nothing half-written: every order row has its history, rows = acknowledged orders, order counters agree',
        orphans === 0 && rows === created.length && counterErrors.length === 0,
        `orphans ${orphans}, rows ${rows}; ${[...unacknowledged, ...counterErrors].slice(0, 3).join('; ')}`,
      ),
    ];
    expect(section.invariants.filter((i) => !i.held).map((i) => `${i.name}: ${i.detail ?? ''}`)).to.deep.equal([]);
    expect(held.every(Boolean)).to.equal(true);
  });

  it('auth-service: in-flight calls complete, exit 0, every acknowledged registration and login holds', async () => {
    stack.authProxy.setLatency(100);
    const accounts: Array<{ username: string; password: string }> = [];
    const load = startLoad({
      concurrency: 6,
      maxOperations: 3000,
      maxDurationMs: 30_000,
      operation: (index) => {
        const username = `sd${index}_${randomUUID().slice(0, 8)}`;
        const password = `Shut-down-${index}9`;
        accounts[index] = { username, password };
        return { label: String(index), run: () => stack.register(username, password) };
      },
    });
    await sleep(2000);
    const signalledAt = performance.now() - load.startedAt;
    stack.auth.signal('SIGTERM');
    const exit = await stack.auth.exited;
    const exitedAt = performance.now() - load.startedAt;
    await sleep(500);
    const outcomes = await load.stop();
    stack.authProxy.setLatency(0);
    await stack.startAuth();
    await stack.waitReady();

    const inFlight = outcomes.filter((o) => o.startedMs < signalledAt - 50 && o.startedMs + o.durationMs > signalledAt);
    const after = outcomes.filter((o) => o.startedMs > exitedAt);
    const registered = outcomes.filter((o) => o.result === 204).map((o) => ({ o, account: accounts[Number(o.label)] }));
    const lost: string[] = [];
    for (const { account } of registered) {
      const login = await stack.login(account.username, account.password);
      if (login.status !== 200) lost.push(`${account.username}: ${login.status}`);
    }
    section
      .figure('Auth-service: registrations sent', outcomes.length)
      .counts('Auth-service: registrations in flight at SIGTERM', countResults(inFlight))
      .counts('Auth-service: registrations after it exited', countResults(after))
      .figure('Auth-service: SIGTERM to exit', `${(exitedAt - signalledAt).toFixed(0)} ms`)
      .figure('Auth-service: exit', JSON.stringify(exit));
    section.invariant(
      'auth-service: calls in flight at SIGTERM completed (204)',
      inFlight.every((o) => o.result === 204),
      JSON.stringify(countResults(inFlight)),
    );
    section.invariant(
      'auth-service: while it was gone the gateway answered 503, never 500 or 401',
      after.every((o) => o.result === 503),
      JSON.stringify(countResults(after)),
    );
    section.invariant('auth-service: exited with code 0', exit.code === 0, JSON.stringify(exit));
    section.invariant(
      'auth-service: every acknowledged registration can log in after the restart',
      lost.length === 0,
      lost.slice(0, 3).join(', '),
    );
    expect(
      section.invariants
        .filter((i) => !i.held && i.name.startsWith('auth-service'))
        .map((i) => `${i.name}: ${i.detail ?? ''}`),
    ).to.deep.equal([]);
  });
});
