import { expect } from 'chai';
import type { Response } from 'supertest';
import { describeEachDatabase } from '../../common/test/databases';
import { expectProblem } from './support/problems';
import { startSystem, type TestSystem } from './support/system';

const password = 'gold-bar-12';
const wrong = 'wrong-pass-9';

/** The real shares (the other suites raise them to call from one address at full speed). */
const realShares = { AUTH_CLIENT_MAX_IN_FLIGHT: '2', AUTH_CLIENT_MAX_HASHES_PER_MINUTE: '20' };

/** Everything a client sees of an answer but what differs by nature (its id, its date). */
function visible(res: Response): unknown {
  const { 'x-request-id': _id, date: _date, 'retry-after': retryAfter, ...headers } = res.headers;
  return { status: res.status, body: res.body as unknown, headers, delay: retryAfter !== undefined };
}

async function refusals(system: TestSystem): Promise<Record<string, number>> {
  const metrics = (await system.request().get('/metrics')).text;
  const counts: Record<string, number> = {};
  for (const [, reason, count] of metrics.matchAll(
    /^auth_refusals_total\{method="Login",reason="([a-z-]+)"\} (\d+)/gm,
  )) {
    counts[reason] = Number(count);
  }
  return counts;
}

describeEachDatabase('gateway: logins under attack, client identity without a trusted proxy', (database) => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(database, { ...realShares, LOGIN_MAX_FAILURES: '3', LOGIN_LOCK_SECONDS: '600' });
  });
  after(() => system?.stop());

  it('ignores X-Forwarded-For by default: rotating it does not escape the refusal', async () => {
    await system.request().post('/auth/register').send({ username: 'xff_victim', password }).expect(204);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const res = await system
        .request()
        .post('/auth/login')
        .set('X-Forwarded-For', `198.51.100.${attempt + 1}`)
        .send({ username: 'xff_victim', password: wrong });
      expectProblem(res, 401, 'invalid-credentials');
    }
    const refused = await system
      .request()
      .post('/auth/login')
      .set('X-Forwarded-For', '198.51.100.99')
      .send({ username: 'xff_victim', password });
    expectProblem(refused, 429, 'too-many-login-failures');
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 600);
  });
});

describeEachDatabase('gateway: logins under attack behind a trusted proxy (TRUST_PROXY=loopback)', (database) => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(database, {
      ...realShares,
      TRUST_PROXY: 'loopback',
      LOGIN_MAX_FAILURES: '3',
      LOGIN_LOCK_SECONDS: '600',
      LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR: '8',
      AUTH_CLIENT_MAX_HASHES_PER_MINUTE: '6',
    });
  });
  after(() => system?.stop());

  const login = (username: string, secret: string, client: string) =>
    system
      .request()
      .post('/auth/login')
      .set('X-Forwarded-For', client)
      .set('User-Agent', 'GoldApp/2.1 (iPhone)')
      .send({ username, password: secret });

  it('refuses the attacker for the account while the owner logs in; the session keeps address and user agent', async () => {
    await system.request().post('/auth/register').send({ username: 'owner_one', password }).expect(204);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expectProblem(await login('owner_one', wrong, '203.0.113.50'), 401, 'invalid-credentials');
    }
    expectProblem(await login('owner_one', password, '203.0.113.50'), 429, 'too-many-login-failures');
    const owner = await login('owner_one', password, '::ffff:198.51.100.50');
    expect(owner.status).to.equal(200);
    const [session] = (await system.auth.db.query(
      'select client_address, user_agent from sessions order by created_at desc limit 1',
      [],
    )) as Array<{
      client_address: string;
      user_agent: string;
    }>;
    expect(session).to.include({ client_address: '198.51.100.50', user_agent: 'GoldApp/2.1 (iPhone)' });
  });

  it('answers an unknown and an existing username identically in every state, and counts each refusal', async () => {
    await system.request().post('/auth/register').send({ username: 'real_two', password }).expect(204);
    const before = await refusals(system);
    const both = async (client: string) => {
      const [existing, unknown] = await Promise.all([
        login('real_two', wrong, client),
        login('ghost_two', wrong, client),
      ]);
      expect(visible(existing)).to.deep.equal(visible(unknown));
      if (existing.headers['retry-after'] !== undefined) {
        // Each delay counts from its own refusal; the two refusals are milliseconds apart.
        expect(
          Math.abs(Number(existing.headers['retry-after']) - Number(unknown.headers['retry-after'])),
        ).to.be.at.most(1);
      }
      return existing;
    };
    const seen: string[] = [];
    const type = (res: Response) => String((res.body as { type?: string }).type).replace(/.*\//, '');
    for (let attempt = 0; attempt < 4; attempt += 1) seen.push(type(await both('192.0.2.1')));
    seen.push(type(await both('192.0.2.2')));
    seen.push(type(await both('192.0.2.2')));
    for (let attempt = 0; attempt < 3; attempt += 1) await both('192.0.2.3');
    seen.push(type(await both('192.0.2.3')));
    expect(seen).to.deep.equal([
      'invalid-credentials',
      'invalid-credentials',
      'invalid-credentials',
      'too-many-login-failures',
      'invalid-credentials',
      'account-slowed',
      'client-throttled',
    ]);
    const after = await refusals(system);
    const counted = (reason: string) => (after[reason] ?? 0) - (before[reason] ?? 0);
    expect(counted('too-many-login-failures')).to.equal(2);
    expect(counted('account-slowed')).to.equal(2 + 6);
    expect(counted('client-throttled')).to.equal(2);
  });
});

describeEachDatabase('gateway: a burst of registrations at bcrypt cost 12', (database) => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(database, { ...realShares, TRUST_PROXY: 'loopback', BCRYPT_COST: '12' });
  });
  after(() => system?.stop());

  /** 20 registrations at once, the i-th from `clientOf(i)`; their statuses, none but 204 or 429. */
  const burst = async (prefix: string, clientOf: (index: number) => string) => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        system
          .request()
          .post('/auth/register')
          .set('X-Forwarded-For', clientOf(index))
          .send({ username: `${prefix}_${index}`, password }),
      ),
    );
    const statuses = answers.map((res) => res.status);
    expect(
      statuses.filter((status) => status !== 204 && status !== 429),
      statuses.join(','),
    ).to.deep.equal([]);
    expect(statuses.filter((status) => status === 204).length).to.be.greaterThan(0);
    return answers;
  };

  it('answers 20 registrations at once with 204 or 429, never 503', async () => {
    for (const res of (await burst('burst', (index) => `192.0.2.${index + 1}`)).filter(
      (answer) => answer.status === 429,
    )) {
      expectProblem(res, 429, 'auth-busy');
      expect(Number(res.headers['retry-after'])).to.be.greaterThan(0);
    }
  });

  it('answers 20 registrations at once from one client with 204 or 429 (its share), never 503', async () => {
    const refused = (await burst('one_burst', () => '198.51.100.77')).filter((res) => res.status === 429);
    expect(refused.length).to.be.at.least(10);
    expectProblem(refused[0], 429, 'client-throttled');
  });
});
