import { expect } from 'chai';
import { countResults } from './support/load';
import { cancelOrder, changeStatus, createOrder, getOrder, orderBody, placeOrder, type Order } from './support/orders';
import { sleep } from '../support/managed-process';
import { report } from './support/report';
import { bearer, Stack, type Account } from './support/stack';
import type { HttpResponse } from './support/http';

const arrows: Record<'PURCHASE' | 'SALE', string[]> = {
  PURCHASE: ['PENDING>ORDER_COMPLETED', 'ORDER_COMPLETED>PAYMENT_RECEIVED', 'PAYMENT_RECEIVED>SHIPPED'],
  SALE: ['PENDING>ORDER_COMPLETED', 'ORDER_COMPLETED>PAYMENT_SENT', 'PAYMENT_SENT>ITEM_RECEIVED'],
};
const cancellable = ['PENDING', 'ORDER_COMPLETED', 'PAYMENT_RECEIVED', 'PAYMENT_SENT'];

/** What is wrong with an order's history, judged by DESIGN.md's state machine. */
function historyErrors(order: Order): string[] {
  const errors: string[] = [];
  const history = order.statusHistory;
  if (history[0]?.from !== null || history[0]?.to !== 'PENDING') errors.push('first entry is not null → PENDING');
  const seen = new Set<string>();
  for (let i = 1; i < history.length; i++) {
    const { from, to } = history[i];
    if (from !== history[i - 1].to)
      errors.push(`entry ${i} starts from ${from} but the order was ${history[i - 1].to}`);
    const arrow = `${from}>${to}`;
    const valid = arrows[order.orderType].includes(arrow) || (to === 'CANCELLED' && cancellable.includes(String(from)));
    if (!valid) errors.push(`invalid arrow ${arrow}`);
    if (seen.has(arrow)) errors.push(`arrow ${arrow} recorded twice`);
    seen.add(arrow);
  }
  if (history[history.length - 1]?.to !== order.status)
    errors.push(`history ends at ${history[history.length - 1]?.to}, status is ${order.status}`);
  if ((order.status === 'CANCELLED') !== (order.cancelledAt !== null))
    errors.push('cancelledAt does not match the status');
  return errors;
}

function isPrefix(prefix: Order['statusHistory'], of: Order['statusHistory']): boolean {
  return prefix.length <= of.length && prefix.every((entry, i) => JSON.stringify(entry) === JSON.stringify(of[i]));
}

describe('Scenario 3: concurrency', function () {
  this.timeout(120_000);
  const section = report.section('Scenario 3 — concurrency');
  let stack: Stack;
  let admin: Account;

  before(async () => {
    stack = await Stack.start({ label: 's3', loginMaxFailures: 5, loginLockSeconds: 4 });
    admin = await stack.adminAccount();
  });
  after(async () => {
    await stack?.stop();
  });

  it('50 parallel mixed status changes and cancels on one order: one arrow per transition, history consistent with the final state', async () => {
    const rows: Array<Array<string | number>> = [];
    const problems: string[] = [];
    for (const kind of ['purchase', 'sale', 'purchase'] as const) {
      const owner = await stack.newUser();
      const order = await placeOrder(stack, owner.accessToken, kind);
      const steps =
        kind === 'purchase'
          ? ['ORDER_COMPLETED', 'PAYMENT_RECEIVED', 'SHIPPED']
          : ['ORDER_COMPLETED', 'PAYMENT_SENT', 'ITEM_RECEIVED'];
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i): Promise<HttpResponse> => {
          switch (i % 5) {
            case 0:
            case 1:
            case 2:
              return changeStatus(stack, admin.accessToken, order.id, steps[i % 5]);
            case 3:
              return cancelOrder(stack, i % 2 ? admin.accessToken : owner.accessToken, order.id);
            default:
              return changeStatus(stack, owner.accessToken, order.id, 'ORDER_COMPLETED');
          }
        }),
      );
      const final = (await getOrder(stack, owner.accessToken, order.id)).json as Order;
      const statuses = countResults(
        responses.map((r) => ({ label: '', result: r.status, startedMs: 0, durationMs: 0 })),
      );
      rows.push([
        `${kind} ${order.orderNumber}`,
        JSON.stringify(statuses),
        final.status,
        final.statusHistory.map((h) => h.to).join(' → '),
      ]);
      if (responses.some((r) => ![200, 400].includes(r.status)))
        problems.push(`${order.id}: statuses ${JSON.stringify(statuses)}`);
      problems.push(...historyErrors(final).map((e) => `${order.id}: ${e}`));
      for (const response of responses.filter((r) => r.status === 200)) {
        if (!isPrefix((response.json as Order).statusHistory, final.statusHistory))
          problems.push(`${order.id}: a 200 answer shows a history the order does not have`);
      }
      for (const response of responses.filter((r) => r.status === 400)) {
        const type = (response.json as { type?: string }).type ?? '';
        if (!/invalid-status-transition|order-not-cancellable/.test(type))
          problems.push(`${order.id}: 400 of type ${type}`);
      }
    }
    section.table(
      '50 parallel changes on one order (ADMIN steps and cancels, owner confirms and cancels)',
      ['order', 'statuses', 'final', 'history'],
      rows,
    );
    section.invariant(
      'only 200 or 400 (invalid transition / not cancellable); every arrow valid and recorded once; history chains to the final state; every 200 shows a prefix of the final history',
      problems.length === 0,
      problems.slice(0, 3).join('; '),
    );
    expect(problems).to.deep.equal([]);
  });

  it('50 parallel creates with one idempotency key: exactly one order', async () => {
    const user = await stack.newUser();
    const key = `race-${Date.now()}`;
    const body = orderBody({ quantity: '3.30' });
    const first = await Promise.all(
      Array.from({ length: 50 }, () => createOrder(stack, user.accessToken, { key, body })),
    );
    const replay = await createOrder(stack, user.accessToken, { key, body: { ...body, quantity: 3.3 } });
    // Same key, two different bodies racing: one wins, the other body is 422 (or 409 while in flight).
    const key2 = `race2-${Date.now()}`;
    const second = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        createOrder(stack, user.accessToken, { key: key2, body: orderBody({ quantity: i % 2 ? '1.00' : '2.00' }) }),
      ),
    );
    const list = await stack.request({ method: 'GET', path: '/orders?limit=100', headers: bearer(user.accessToken) });
    const orders = (list.json as { data: Order[] }).data;
    const ids1 = new Set(first.filter((r) => r.status === 201).map((r) => (r.json as Order).id));
    const ids2 = new Set(second.filter((r) => r.status === 201).map((r) => (r.json as Order).id));
    const winner2 = second.find((r) => r.status === 201)?.json as Order | undefined;
    const count = (responses: HttpResponse[]) =>
      countResults(responses.map((r) => ({ label: '', result: r.status, startedMs: 0, durationMs: 0 })));
    section
      .counts('50 creates, one key, same body', count(first))
      .counts('50 creates, one key, two bodies', count(second))
      .figure('Replay after the race', `${replay.status}, same order: ${ids1.has((replay.json as Order).id)}`);
    const held = [
      section.invariant(
        'same key and body: only 201 or 409, every 201 the same order, the replay too',
        first.every((r) => [201, 409].includes(r.status)) &&
          ids1.size === 1 &&
          replay.status === 201 &&
          ids1.has((replay.json as Order).id),
      ),
      section.invariant(
        'same key, two bodies: only 201 (the winning body), 409 or 422, one order',
        second.every((r) => [201, 409, 422].includes(r.status)) &&
          ids2.size === 1 &&
          second.filter((r) => r.status === 201).every((r) => (r.json as Order).quantity === winner2?.quantity),
      ),
      section.invariant('the user has exactly two orders: one per key', list.status === 200 && orders.length === 2),
    ];
    expect(held).to.deep.equal([true, true, true]);
  });

  it('refreshes racing on one refresh token: all answered with one pair, the session lives; an older token revokes it', async () => {
    const user = await stack.newUser();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        stack.request({ method: 'POST', path: '/auth/refresh', headers: bearer(user.refreshToken) }),
      ),
    );
    const pairs = new Set(responses.filter((r) => r.status === 200).map((r) => r.text));
    const counts = countResults(responses.map((r) => ({ label: '', result: r.status, startedMs: 0, durationMs: 0 })));
    const pair = responses[0].json as { accessToken: string; refreshToken: string };
    const lives = await stack.request({ method: 'GET', path: '/orders', headers: bearer(pair.accessToken) });
    const next = await stack.request({ method: 'POST', path: '/auth/refresh', headers: bearer(pair.refreshToken) });
    // The first token is now older than the one rotated last: theft, within the grace window or not.
    const theft = await stack.request({ method: 'POST', path: '/auth/refresh', headers: bearer(user.refreshToken) });
    const nextAccess = (next.json as { accessToken?: string } | undefined)?.accessToken ?? '';
    const afterTheft = await stack.request({ method: 'GET', path: '/orders', headers: bearer(nextAccess) });
    section
      .counts('20 parallel refreshes of one token (REFRESH_GRACE_SECONDS=10)', counts)
      .figure('Distinct pairs answered', pairs.size)
      .figure(
        'After the race: its access token / its next refresh / the first token again / the next access token',
        `${lives.status} / ${next.status} / ${theft.status} / ${afterTheft.status}`,
      );
    const held = [
      section.invariant(
        'every racing refresh 200 with the very same pair, and the session lives',
        responses.every((r) => r.status === 200) && pairs.size === 1 && lives.status === 200 && next.status === 200,
      ),
      section.invariant(
        'a token older than the one rotated last is theft: 401, and the session’s access tokens are 401 at once',
        theft.status === 401 && afterTheft.status === 401,
      ),
    ];
    expect(held).to.deep.equal([true, true]);
  });

  it('logins racing into a refusal: exactly LOGIN_MAX_FAILURES are judged; only the failing client is refused', async () => {
    const max = stack.loginMaxFailures;
    // Reference: one failure after another on a first account.
    const reference = await stack.newUser();
    const sequential: number[] = [];
    for (let i = 0; i < max + 2; i++) sequential.push((await stack.login(reference.username, 'Wrong-pass-0')).status);
    const user = await stack.newUser();
    const racing = await Promise.all(Array.from({ length: 30 }, () => stack.login(user.username, 'Wrong-pass-0')));
    const right = await stack.login(user.username, user.password);
    const owner = stack.clientAt('127.0.0.2');
    const ownerLogin = await owner.login(user.username, user.password).finally(() => owner.close());
    await sleep(stack.loginLockSeconds * 1000 + 300);
    const afterLock = await stack.login(user.username, user.password);
    const counts = countResults(racing.map((r) => ({ label: '', result: r.status, startedMs: 0, durationMs: 0 })));
    const failuresBeforeLock = sequential.indexOf(429);
    const refusedType = (response: HttpResponse) =>
      String((response.json as { type?: string }).type).replace(/.*\//, '');
    section
      .figure('Sequential wrong logins from one client (reference)', sequential.join(', '))
      .counts(`30 parallel wrong logins from one client (LOGIN_MAX_FAILURES=${max})`, counts)
      .figure(
        'Right password from that client while refused',
        `${right.status} ${refusedType(right)}, Retry-After ${String(right.headers['retry-after'])}`,
      )
      .figure('Right password from another client (127.0.0.2) meanwhile', ownerLogin.status)
      .figure(
        `Right password from the refused client after LOGIN_LOCK_SECONDS=${stack.loginLockSeconds}`,
        afterLock.status,
      );
    const held = [
      section.invariant(
        'sequentially, the refusal starts after LOGIN_MAX_FAILURES failures',
        failuresBeforeLock === max,
      ),
      section.invariant(
        'racing, exactly LOGIN_MAX_FAILURES attempts were judged (401) and the rest refused (429)',
        counts['401'] === max && counts['429'] === 30 - max,
      ),
      section.invariant(
        'the right password from the failing client is 429 too-many-login-failures with Retry-After',
        right.status === 429 &&
          refusedType(right) === 'too-many-login-failures' &&
          Number(right.headers['retry-after']) >= 1 &&
          Number(right.headers['retry-after']) <= stack.loginLockSeconds,
      ),
      section.invariant(
        'the owner on another client logs in meanwhile (no lockout an attacker controls)',
        ownerLogin.status === 200,
      ),
      section.invariant('the refusal ends after LOGIN_LOCK_SECONDS', afterLock.status === 200),
    ];
    expect(held).to.deep.equal([true, true, true, true, true]);
  });
});
