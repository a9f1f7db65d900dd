import { expect } from 'chai';
import { countResults, percentile, startLoad, type Outcome } from './support/load';
import { placeOrder, type Order } from './support/orders';
import { sleep, waitFor } from '../support/managed-process';
import { report } from './support/report';
import { bearer, Stack, type Account } from './support/stack';

/** The gateway's deadline on auth calls (AUTH_GRPC_TIMEOUT_MS) and token cache TTL, as configured here. */
const authDeadlineMs = 2000;
const tokenCacheTtlMs = 1000;

describe('Scenario 1: auth sidecar failure under steady load', function () {
  this.timeout(120_000);
  const section = report.section('Scenario 1 — auth sidecar killed and restarted under load');
  let stack: Stack;
  let user: Account;
  let order: Order;

  before(async () => {
    stack = await Stack.start({
      label: 's1',
      env: { AUTH_GRPC_TIMEOUT_MS: String(authDeadlineMs), TOKEN_CACHE_TTL_MS: String(tokenCacheTtlMs) },
    });
    user = await stack.newUser();
    order = await placeOrder(stack, user.accessToken);
  });
  after(async () => {
    await stack?.stop();
  });

  it('answers 503 with Retry-After while the auth-service is dead, keeps public routes up, and recovers within 2 s of its restart without restarting the gateway', async () => {
    const gatewayPid = stack.gateway.pid;
    const kinds = ['protected-read', 'protected-list', 'public-products', 'public-healthz'] as const;
    const load = startLoad({
      concurrency: 6,
      maxOperations: 20_000,
      maxDurationMs: 60_000,
      ratePerSecond: 120,
      operation: (index) => {
        const label = kinds[index % kinds.length];
        const path = {
          'protected-read': `/orders/${order.id}`,
          'protected-list': '/orders?limit=5',
          'public-products': '/products',
          'public-healthz': '/healthz',
        }[label];
        const headers = label.startsWith('protected') ? bearer(user.accessToken) : {};
        return { label, run: () => stack.request({ method: 'GET', path, headers, timeoutMs: 10_000 }) };
      },
    });
    const at = () => performance.now() - load.startedAt;

    await sleep(3000);
    const killedAt = at();
    stack.auth.signal('SIGKILL');
    await stack.auth.exited;

    // During the outage: readiness and login say so too.
    await sleep(tokenCacheTtlMs + 500);
    const readiness = await stack.request({ method: 'GET', path: '/readyz' });
    const login = await stack.login(user.username, user.password);
    await sleep(2500);

    const restartedAt = at();
    await stack.startAuth();
    const authListeningAt = at();
    let recoveredAt = 0;
    await waitFor(
      'a protected request to succeed again',
      async () => {
        const first = load.outcomes.find(
          (o) => o.label.startsWith('protected') && o.result === 200 && o.startedMs > authListeningAt,
        );
        if (first) recoveredAt = first.startedMs + first.durationMs;
        return first !== undefined;
      },
      { timeoutMs: 15_000 },
    );
    await sleep(3000);
    const outcomes = await load.stop();

    const phase = (o: Outcome) =>
      o.startedMs < killedAt
        ? 'before'
        : o.startedMs < restartedAt
          ? 'outage'
          : o.startedMs < recoveredAt
            ? 'restart'
            : 'after';
    // Validations cached just before the kill may still answer for one cache TTL.
    const outageProtected = outcomes.filter(
      (o) => phase(o) === 'outage' && o.label.startsWith('protected') && o.startedMs > killedAt + tokenCacheTtlMs + 100,
    );
    const unavailable = outcomes.filter((o) => o.result === 503);
    const recoveryMs = recoveredAt - authListeningAt;
    const rows = (['before', 'outage', 'restart', 'after'] as const).map((name) => {
      const inPhase = outcomes.filter((o) => phase(o) === name);
      return [
        name,
        inPhase.length,
        JSON.stringify(countResults(inPhase.filter((o) => o.label.startsWith('protected')))),
        JSON.stringify(countResults(inPhase.filter((o) => o.label.startsWith('public')))),
      ];
    });

    section
      .figure('Requests sent', outcomes.length)
      .counts('Status counts (all)', countResults(outcomes))
      .figure('Outage (kill to restart)', `${((restartedAt - killedAt) / 1000).toFixed(1)} s`)
      .figure('Auth deadline configured (AUTH_GRPC_TIMEOUT_MS)', `${authDeadlineMs} ms`)
      .figure(
        'Slowest 503 answer',
        `${percentile(
          unavailable.map((o) => o.durationMs),
          100,
        ).toFixed(0)} ms`,
      )
      .figure(
        'p50 of 503 answers',
        `${percentile(
          unavailable.map((o) => o.durationMs),
          50,
        ).toFixed(1)} ms`,
      )
      .figure('Recovery: auth-service listening to first protected 200', `${recoveryMs.toFixed(0)} ms`)
      .figure('Auth-service restart to listening', `${(authListeningAt - restartedAt).toFixed(0)} ms`)
      .figure('/readyz during the outage', `${readiness.status} ${readiness.text}`)
      .figure('POST /auth/login during the outage', String(login.status))
      .table('Status counts by phase', ['phase', 'requests', 'protected', 'public'], rows);

    const problems = [
      section.invariant(
        'every protected request during the outage answered 503',
        outageProtected.length > 0 && outageProtected.every((o) => o.result === 503),
        JSON.stringify(countResults(outageProtected)),
      ),
      section.invariant(
        'every 503 carried Retry-After',
        unavailable.every((o) => Number(o.response?.headers['retry-after']) >= 1),
      ),
      section.invariant(
        'every 503 was problem details (auth-service-unavailable)',
        unavailable.every(
          (o) =>
            (o.response?.json as { type?: string })?.type === 'https://aletheia.gold/problems/auth-service-unavailable',
        ),
      ),
      section.invariant(
        `no 503 took longer than the deadline (${authDeadlineMs} ms) plus 500 ms`,
        unavailable.every((o) => o.durationMs <= authDeadlineMs + 500),
      ),
      section.invariant(
        'no 401, no 500, no request without an answer',
        outcomes.every((o) => typeof o.result === 'number' && o.result !== 401 && o.result !== 500),
      ),
      section.invariant(
        'public routes answered 200 throughout',
        outcomes.filter((o) => o.label.startsWith('public')).every((o) => o.result === 200),
      ),
      section.invariant(
        '/readyz was 503 naming the auth service',
        readiness.status === 503 &&
          (readiness.json as { checks?: { authService?: string } })?.checks?.authService === 'down',
      ),
      section.invariant('login was 503 during the outage', login.status === 503),
      section.invariant(
        'protected requests succeeded within 2 s of the auth-service listening again',
        recoveryMs <= 2000,
        `${recoveryMs.toFixed(0)} ms`,
      ),
      section.invariant(
        'after recovery every request succeeded',
        outcomes.filter((o) => phase(o) === 'after' && o.startedMs > recoveredAt + 100).every((o) => o.result === 200),
      ),
      section.invariant('the gateway was never restarted', stack.gateway.pid === gatewayPid && stack.gateway.running),
    ];
    expect(section.invariants.filter((i) => !i.held).map((i) => `${i.name}: ${i.detail ?? ''}`)).to.deep.equal([]);
    expect(problems.every(Boolean)).to.equal(true);
  });
});
