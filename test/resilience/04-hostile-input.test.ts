import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { repoRoot } from '../../common/src/repo-root';
import { IndependentValidator } from '../../gateway/test/support/independent-validator';
import { rawRequest } from './support/http';
import { generateHostileCases, type HostileCase } from './support/hostile/cases';
import { judge } from './support/hostile/check';
import { loadSpecOperations } from './support/hostile/spec';
import { countResults, percentile, startLoad, type Outcome } from './support/load';
import { getOrder, placeOrder } from './support/orders';
import { orderCounterErrors } from './support/orders-db';
import { report } from './support/report';
import { diff, snapshot, unexplained, type Snapshot } from './support/snapshot';
import { bearer, Stack, type Account } from './support/stack';
import { forgedTokens } from './support/tokens';

const seed = Number(process.env.RESILIENCE_SEED ?? 20260131);

function bodyOf(hostile: HostileCase): Record<string, unknown> | undefined {
  if (hostile.raw) {
    // Only the registrations and logins of raw cases matter here: their username.
    const username = /"username":"([^"\\]+)"/.exec(hostile.raw.toString('utf8'))?.[1];
    return username === undefined ? undefined : { username };
  }
  const body = hostile.request?.body;
  try {
    // A leading byte order mark is allowed (RFC 8259 lets a parser ignore it); JSON.parse refuses it.
    const parsed: unknown =
      Buffer.isBuffer(body) || typeof body === 'string' ? JSON.parse(body.toString().replace(/^\uFEFF/, '')) : body;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

describe('Scenario 4: hostile input generated from openapi.yaml', function () {
  this.timeout(300_000);
  const section = report.section('Scenario 4 — hostile input (generated from openapi.yaml with fast-check)');
  let stack: Stack;
  let user: Account;
  let sessionsUser: Account;
  let passwordUser: Account;
  let leaver: Account;
  let cases: HostileCase[];
  const outcomes: Outcome[] = [];
  const baseline: Record<string, Snapshot> = {};

  before(async () => {
    // Every refresh attack presents one token: without a grace window it dies at its first reuse, as a
    // stolen token should, and the cases that follow are judged against a dead session.
    stack = await Stack.start({ label: 's4', env: { REFRESH_GRACE_SECONDS: '0' } });
    user = await stack.newUser('victim');
    sessionsUser = await stack.newUser('sessions');
    passwordUser = await stack.newUser('pwchange');
    leaver = await stack.newUser('leaver');
    const logoutSession = await stack.login(sessionsUser.username, sessionsUser.password);
    const own = await placeOrder(stack, user.accessToken);
    const mutable = await placeOrder(stack, user.accessToken, 'sale');
    // The contract as the gateway publishes it (/openapi.json is this file, parsed).
    const spec = parse(readFileSync(path.join(repoRoot, 'openapi.yaml'), 'utf8')) as Record<string, unknown>;
    cases = generateHostileCases(loadSpecOperations(), spec, {
      userAccess: user.accessToken,
      logoutAccess: (logoutSession.json as { accessToken: string }).accessToken,
      refreshForAttacks: sessionsUser.refreshToken,
      passwordChangeAccess: passwordUser.accessToken,
      passwordChangeUsername: passwordUser.username,
      logoutAllAccess: leaver.accessToken,
      otherUsername: sessionsUser.username,
      forged: forgedTokens(user.accessToken, user.refreshToken, stack.secrets),
      ownOrderId: own.id,
      mutableOrderId: mutable.id,
      seed,
      perField: 250,
      validator: new IndependentValidator(spec),
    });
    const orders = stack.ordersConnection();
    const auth = stack.authConnection();
    try {
      baseline.orders = await snapshot(orders);
      baseline.auth = await snapshot(auth);
    } finally {
      await orders.destroy();
      await auth.destroy();
    }
  });
  after(async () => {
    await stack?.stop();
  });

  it('answers at least 10,000 hostile requests across every operation without a 5xx, a leak or a malformed error', async () => {
    const run = startLoad({
      concurrency: 8,
      maxOperations: cases.length,
      maxDurationMs: 170_000,
      operation: (index) => {
        const hostile = cases[index];
        return {
          label: String(index),
          run: () => (hostile.raw ? rawRequest(stack.apiPort, hostile.raw, 10_000) : stack.request(hostile.request!)),
        };
      },
    });
    outcomes.push(...(await run.done));
    const failures: Array<{ hostile: HostileCase; problems: string[]; status: string }> = [];
    for (const outcome of outcomes) {
      const hostile = cases[Number(outcome.label)];
      const verdict = judge(hostile, outcome.response ?? { transport: String(outcome.result) });
      if (!verdict.ok) failures.push({ hostile, problems: verdict.problems, status: String(outcome.result) });
    }
    const byKind = new Map<string, { count: number; example: string }>();
    for (const failure of failures) {
      for (const problem of failure.problems) {
        const key = `${failure.hostile.operationId} / ${failure.hostile.category} / ${problem}`;
        const entry = byKind.get(key) ?? { count: 0, example: '' };
        entry.count += 1;
        if (!entry.example) {
          const outcome = outcomes.find((o) => cases[Number(o.label)] === failure.hostile);
          entry.example = `${failure.hostile.name.slice(0, 60)} → ${failure.status} ${(outcome?.response?.text ?? '').slice(0, 160)}`;
        }
        byKind.set(key, entry);
      }
    }
    const perOperation = new Map<string, Outcome[]>();
    for (const outcome of outcomes) {
      const id = cases[Number(outcome.label)].operationId;
      perOperation.set(id, [...(perOperation.get(id) ?? []), outcome]);
    }
    const categories = countResults(outcomes.map((o) => ({ ...o, result: cases[Number(o.label)].category as never })));
    const failing = new Set(failures.map((failure) => failure.hostile));
    const judged = outcomes.map((o) => cases[Number(o.label)]).filter((hostile) => hostile.judged);
    const agreed = judged.filter((hostile) => !failing.has(hostile)).length;
    const serverErrors = (list: Outcome[]) =>
      list.filter((o) => typeof o.result === 'number' && o.result >= 500).length;
    const byCategory = new Map<string, Outcome[]>();
    for (const outcome of outcomes) {
      const category = cases[Number(outcome.label)].category;
      byCategory.set(category, [...(byCategory.get(category) ?? []), outcome]);
    }
    section
      .figure('Seed', seed)
      .figure('Hostile requests sent', outcomes.length)
      .counts('Status counts', countResults(outcomes))
      .counts('Requests by category', categories)
      .figure(
        'Independent validator (ajv 2020-12 on the published contract + x-request-reading) agrees',
        `${agreed} of ${judged.length} requests it judged`,
      )
      .table(
        'Requests and 5xx by class',
        ['class', 'requests', '5xx'],
        [...byCategory].map(([category, list]) => [category, list.length, serverErrors(list)]),
      )
      .figure(
        'Latency p50 / p99 / max',
        `${percentile(
          outcomes.map((o) => o.durationMs),
          50,
        ).toFixed(1)} / ${percentile(
          outcomes.map((o) => o.durationMs),
          99,
        ).toFixed(1)} / ${percentile(
          outcomes.map((o) => o.durationMs),
          100,
        ).toFixed(0)} ms`,
      )
      .table(
        'Requests by operation',
        ['operation', 'requests', 'statuses'],
        [...perOperation].map(([id, list]) => [id, list.length, JSON.stringify(countResults(list))]),
      );
    if (byKind.size > 0)
      section.table(
        'Failures',
        ['operation / category / problem', 'count', 'example'],
        [...byKind].map(([key, v]) => [key, v.count, v.example]),
      );
    section.invariant(
      'at least 10,000 hostile requests, every operation of the contract covered',
      outcomes.length >= 10_000 && perOperation.size === loadSpecOperations().length,
    );
    section.invariant(
      'the independent validator agrees on every request it judged (refused: 4xx; accepted: no 400 invalid-request, 413 or 415)',
      agreed === judged.length,
      `${judged.length - agreed} disagreements`,
    );
    section.invariant(
      'no 5xx',
      outcomes.every((o) => typeof o.result !== 'number' || o.result < 500),
      JSON.stringify(countResults(outcomes.filter((o) => typeof o.result === 'number' && o.result >= 500))),
    );
    section.invariant(
      'every error is problem details with no stack trace, SQL, file path or internal name; every contract breach refused; every bad token 401',
      failures.length === 0,
      `${failures.length} failing requests`,
    );
    expect([...byKind].map(([key, v]) => `${key} (${v.count}): ${v.example}`)).to.deep.equal([]);
  });

  it('wrote nothing for a rejected request', async () => {
    const legitimate = new Set<string>();
    for (const outcome of outcomes) {
      const hostile = cases[Number(outcome.label)];
      const status = typeof outcome.result === 'number' ? outcome.result : 0;
      const body = bodyOf(hostile);
      // A login the auth-service judged (401) or refused (429) is counted: by username and client.
      if (hostile.operationId === 'login' && (status === 401 || status === 429)) {
        legitimate.add(String(body?.username));
        legitimate.add('client-hashes:127.0.0.1');
      }
      // So is a password change whose current password was judged wrong (or refused): for its account.
      if (hostile.operationId === 'changePassword' && (status === 401 || status === 429)) {
        legitimate.add(passwordUser.username);
        legitimate.add('client-hashes:127.0.0.1');
      }
      if (status < 200 || status >= 300) continue;
      const answer = outcome.response?.json as { id?: string; userId?: string } | undefined;
      if (answer?.id) legitimate.add(answer.id);
      // An accepted create or status change also moves its owner's order counters.
      if (answer?.userId) legitimate.add(answer.userId);
      if (hostile.operationId === 'register' || hostile.operationId === 'login') {
        legitimate.add(String(body?.username));
        legitimate.add('client-hashes:127.0.0.1');
      }
      if (['refresh', 'logout'].includes(hostile.operationId)) legitimate.add(sessionsUser.username);
      if (hostile.operationId === 'logoutAll') legitimate.add(leaver.username);
    }
    const orders = stack.ordersConnection();
    const auth = stack.authConnection();
    let changes;
    let counterErrors: string[];
    try {
      const authNow = await snapshot(auth);
      // Sessions and failure counters are rows of a user: accepted logins, refreshes and logouts explain them.
      for (const json of authNow.get('users')?.values() ?? []) {
        const user = JSON.parse(json) as { id: string; username: string };
        if (legitimate.has(user.username)) legitimate.add(user.id);
      }
      changes = [...diff(baseline.orders, await snapshot(orders)), ...diff(baseline.auth, authNow)];
      counterErrors = await orderCounterErrors(orders);
    } finally {
      await orders.destroy();
      await auth.destroy();
    }
    const left = unexplained(changes, legitimate);
    section
      .figure('Rows changed by accepted hostile requests (explained)', changes.length - left.length)
      .figure('Rows changed that no accepted request explains', left.length);
    section.invariant(
      'no row written by a rejected request (row-by-row comparison of both databases)',
      left.length === 0,
      left
        .slice(0, 3)
        .map((c) => `${c.kind} ${c.table} ${JSON.stringify(c.row).slice(0, 200)}`)
        .join('; '),
    );
    section.invariant(
      'derived rows agree with the orders: every per-user order counter equals the orders it counts',
      counterErrors.length === 0,
      counterErrors.slice(0, 3).join('; '),
    );
    expect(left.map((c) => `${c.kind} ${c.table} ${JSON.stringify(c.row)}`)).to.deep.equal([]);
    expect(counterErrors).to.deep.equal([]);
  });

  it('answers normal traffic correctly afterwards', async () => {
    const fresh = await stack.newUser('after');
    const order = await placeOrder(stack, fresh.accessToken);
    const read = await getOrder(stack, fresh.accessToken, order.id);
    const list = await stack.request({ method: 'GET', path: '/orders', headers: bearer(fresh.accessToken) });
    const products = await stack.request({ method: 'GET', path: '/products' });
    const ready = await stack.request({ method: 'GET', path: '/readyz' });
    const held = section.invariant(
      'afterwards: register, login, create, read, list, products and readiness answer correctly',
      read.status === 200 &&
        JSON.stringify(read.json) === JSON.stringify(order) &&
        list.status === 200 &&
        (list.json as { data: Array<{ id: string }> }).data.some((o) => o.id === order.id) &&
        products.status === 200 &&
        ready.status === 200,
    );
    expect(held).to.equal(true);
  });
});
