import { expect } from 'chai';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { DatabaseConfig } from '../../common/src/config';
import { describeEachDatabase } from '../../common/test/databases';
import { asClient, startTestAuthServer, type TestAuthServer } from './support/auth-server';
import { rpc } from './support/rpc';

const password = 'gold-bar-99';
const wrong = 'wrong-pass-1';

/** What a caller can see of an answer: the status, the message and the trailing metadata. */
interface Seen {
  code: number;
  details: string;
  metadata: Record<string, unknown>;
}

async function login(server: TestAuthServer, username: string, secret: string, client: string, deadlineMs = 10_000) {
  try {
    await rpc(server.client, 'Login', { username, password: secret }, asClient(client), deadlineMs);
    return { code: status.OK, details: '', metadata: {} } satisfies Seen;
  } catch (error) {
    const { code, details, metadata } = error as ServiceError;
    return { code, details, metadata: metadata.getMap() } satisfies Seen;
  }
}

const retryAfterOf = (seen: Seen) => Number(seen.metadata['retry-after-seconds']);
const reasonOf = (seen: Seen) => seen.metadata['refusal-reason'];

/** The answer with its delay left out: each delay is counted from its own moment (compared separately). */
function withoutDelay(seen: Seen): unknown {
  // The `date` header is the second each answer was sent in: two answers may straddle one.
  const { 'retry-after-seconds': retryAfter, date: _sent, ...metadata } = seen.metadata;
  return { code: seen.code, details: seen.details.replace(/\d+ seconds/, 'N seconds'), metadata, delay: !!retryAfter };
}

let sequence = 0;
const newName = (prefix: string) => `${prefix}_${process.pid % 1000}_${++sequence}`;

describeEachDatabase('login abuse: one client refused for an account, the owner not', (database) => {
  let server: TestAuthServer;
  before(async () => {
    server = await startTestAuthServer(database, { LOGIN_MAX_FAILURES: '3', LOGIN_LOCK_SECONDS: '60' });
  });
  after(async () => {
    await server?.stop();
    await database.drop();
  });

  it('refuses the attacking client (429 even with the right password) while the owner logs in from another', async () => {
    const owner = newName('owner');
    await rpc(server.client, 'Register', { username: owner, password });
    const session = await rpc(server.client, 'Login', { username: owner, password }, asClient('198.51.100.7'));
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await login(server, owner, wrong, '203.0.113.66')).code).to.equal(status.UNAUTHENTICATED);
    }
    const refused = await login(server, owner, password, '203.0.113.66');
    expect(refused.code).to.equal(status.RESOURCE_EXHAUSTED);
    expect(reasonOf(refused)).to.equal('too-many-login-failures');
    expect(retryAfterOf(refused)).to.be.within(1, 60);

    expect((await login(server, owner, password, '198.51.100.7')).code).to.equal(status.OK);
    expect((await login(server, owner, password, '192.0.2.10')).code).to.equal(status.OK);
    // Failed logins never end sessions.
    await rpc(server.client, 'ValidateToken', { accessToken: session.accessToken });
  });

  it('clears a client’s count with its success, and counts an IPv6 /64 as one client', async () => {
    const name = newName('v6');
    await rpc(server.client, 'Register', { username: name, password });
    for (const client of ['2001:db8:1:2::a', '2001:db8:1:2::b']) {
      expect((await login(server, name, wrong, client)).code).to.equal(status.UNAUTHENTICATED);
    }
    expect((await login(server, name, password, '2001:db8:1:2::c')).code).to.equal(status.OK);
    for (const client of ['2001:db8:1:2::d', '2001:db8:1:2::e', '2001:db8:1:2:ffff::1']) {
      expect((await login(server, name, wrong, client)).code).to.equal(status.UNAUTHENTICATED);
    }
    expect(reasonOf(await login(server, name, password, '2001:db8:1:2::f'))).to.equal('too-many-login-failures');
    expect((await login(server, name, password, '2001:db8:1:3::1')).code).to.equal(status.OK);
    // IPv4-mapped IPv6 is the IPv4 client.
    expect((await login(server, name, password, '::ffff:192.0.2.99')).code).to.equal(status.OK);
    const keys = (
      await server.handle.db.query('select client_key from login_clients where username_normalized = ?', [name])
    ).map((row) => row.client_key);
    expect(keys.sort()).to.deep.equal(['192.0.2.99', '2001:db8:1:2::/64', '2001:db8:1:3::/64']);
  });

  it('identifies a caller without the gateway secret by its own peer address, with the same counting', async () => {
    const name = newName('peer');
    await rpc(server.client, 'Register', { username: name, password });
    const forged = (address: string) => asClient(address, 'not-the-gateway-secret-but-just-as-long!!');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await rpc(server.client, 'Login', { username: name, password: wrong }, forged(`10.9.9.${attempt}`)).catch(
        () => undefined,
      );
    }
    const refused = await rpc(server.client, 'Login', { username: name, password }, forged('10.9.9.77')).catch(
      (error: ServiceError) => error,
    );
    expect((refused as ServiceError).code).to.equal(status.RESOURCE_EXHAUSTED);
    const keys = (
      await server.handle.db.query('select client_key from login_clients where username_normalized = ?', [name])
    ).map((row) => row.client_key);
    expect(keys).to.deep.equal(['127.0.0.1']);
    // The address the forger named is not refused: through the gateway it logs in.
    expect((await login(server, name, password, '10.9.9.77')).code).to.equal(status.OK);
  });
});

describeEachDatabase('login abuse: unknown and existing usernames answer alike in every state', (database) => {
  let server: TestAuthServer;
  before(async () => {
    server = await startTestAuthServer(database, {
      BCRYPT_COST: '6',
      LOGIN_MAX_FAILURES: '3',
      LOGIN_LOCK_SECONDS: '600',
      LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR: '8',
      AUTH_CLIENT_MAX_HASHES_PER_MINUTE: '6',
    });
  });
  after(async () => {
    await server?.stop();
    await database.drop();
  });

  it('fresh, failing, refused, slowed and throttled: same status, message, metadata, delay and counters', async () => {
    const existing = newName('real');
    const unknown = newName('ghost');
    await rpc(server.client, 'Register', { username: existing, password });
    const both = async (client: string) => {
      const [a, b] = await Promise.all([login(server, existing, wrong, client), login(server, unknown, wrong, client)]);
      expect(withoutDelay(a)).to.deep.equal(withoutDelay(b));
      if (a.metadata['retry-after-seconds'] !== undefined) {
        expect(Math.abs(retryAfterOf(a) - retryAfterOf(b))).to.be.at.most(1);
      }
      return a;
    };
    const states: unknown[] = [];
    // Fresh, then failing: 401. The third failure is judged (401) and refuses the client.
    for (let attempt = 0; attempt < 3; attempt += 1) states.push(reasonOf(await both('192.0.2.1')) ?? 401);
    // Refused for the account, whatever the password.
    states.push(reasonOf(await both('192.0.2.1')));
    // One more failure from another client spends the hour's budget of 4; the next attempt is slowed.
    states.push(reasonOf(await both('192.0.2.2')) ?? 401);
    const slowed = await both('192.0.2.2');
    states.push(reasonOf(slowed));
    expect(retryAfterOf(slowed)).to.be.greaterThan(60);
    // A third client uses up its 6 hashes a minute (3 per name, all slowed), then is throttled.
    for (let attempt = 0; attempt < 3; attempt += 1) await both('192.0.2.3');
    states.push(reasonOf(await both('192.0.2.3')));
    expect(states).to.deep.equal([401, 401, 401, 'too-many-login-failures', 401, 'account-slowed', 'client-throttled']);

    const counters = async (name: string) => ({
      clients: await server.handle.db.query(
        `select client_key, consecutive_failures, last_success_at, refused_until is not null as refused
         from login_clients where username_normalized = ? order by client_key`,
        [name],
      ),
      accounts: await server.handle.db.query(
        'select paced_attempts from login_accounts where username_normalized = ?',
        [name],
      ),
    });
    expect(await counters(existing)).to.deep.equal(await counters(unknown));
    expect(
      await server.handle.db.query('select id from users where username_normalized = ?', [unknown]),
    ).to.have.length(0);
  });
});

describeEachDatabase('login abuse: admission of password work per client', (database) => {
  let config: DatabaseConfig;
  const servers: TestAuthServer[] = [];
  const start = async (env: NodeJS.ProcessEnv) => {
    const server = await startTestAuthServer(config, env);
    servers.push(server);
    return server;
  };
  before(async () => {
    config = await database.create();
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await database.drop();
  });

  it('lets a client have AUTH_CLIENT_MAX_IN_FLIGHT calls at once; the rest are refused at once, others unaffected', async () => {
    const server = await start({ BCRYPT_COST: '10', AUTH_CLIENT_MAX_IN_FLIGHT: '1' });
    const name = newName('flight');
    await rpc(server.client, 'Register', { username: name, password });
    const flood = Array.from({ length: 5 }, () => login(server, name, wrong, '203.0.113.5'));
    const owner = login(server, name, password, '198.51.100.5');
    const outcomes = await Promise.all(flood);
    expect(outcomes.filter((seen) => seen.code === status.UNAUTHENTICATED)).to.have.length(1);
    expect(outcomes.filter((seen) => reasonOf(seen) === 'client-throttled')).to.have.length(4);
    expect((await owner).code).to.equal(status.OK);
  });

  it('counts AUTH_CLIENT_MAX_HASHES_PER_MINUTE across replicas; a successful login gives its hash back', async () => {
    const env = { AUTH_CLIENT_MAX_HASHES_PER_MINUTE: '4' };
    const [first, second] = [await start(env), await start(env)];
    const name = newName('share');
    await rpc(first.client, 'Register', { username: name, password });
    for (const [index, server] of [first, second, first, second].entries()) {
      expect((await login(server, `${name}${index}`, wrong, '203.0.113.9')).code).to.equal(status.UNAUTHENTICATED);
    }
    const throttled = await login(first, name, password, '203.0.113.9');
    expect(reasonOf(throttled)).to.equal('client-throttled');
    expect(retryAfterOf(throttled)).to.be.within(1, 60);
    expect(reasonOf(await login(second, name, password, '203.0.113.9'))).to.equal('client-throttled');
    // Successful logins from a new client, well past the share: each gives its hash back.
    for (let attempt = 0; attempt < 6; attempt += 1) {
      expect((await login(attempt % 2 ? first : second, name, password, '198.51.100.9')).code).to.equal(status.OK);
    }
  });

  const redisUrl = process.env.TEST_REDIS_URL;
  (redisUrl ? it : it.skip)(
    'counts the hashes per minute in Redis instead, when AUTH_RATE_LIMIT_REDIS_URL says so (TEST_REDIS_URL)',
    async () => {
      const env = { AUTH_CLIENT_MAX_HASHES_PER_MINUTE: '3', AUTH_RATE_LIMIT_REDIS_URL: redisUrl };
      const [first, second] = [await start(env), await start(env)];
      // A client address of its own per run: the counters outlive the test in Redis for a minute.
      const client = `10.${process.pid % 250}.${Date.now() % 250}.${sequence % 250}`;
      const name = newName('redis');
      for (const [index, server] of [first, second, first].entries()) {
        expect((await login(server, `${name}${index}`, wrong, client)).code).to.equal(status.UNAUTHENTICATED);
      }
      expect(reasonOf(await login(second, `${name}9`, wrong, client))).to.equal('client-throttled');
      expect(
        await first.handle.db.query('select * from client_hash_counts where `key` = ?', [`client-hashes:${client}`]),
      ).to.deep.equal([]);
    },
  );

  it('refuses (auth-busy) a call whose queue would outlast its deadline, instead of failing it later', async () => {
    const server = await start({ BCRYPT_COST: '11' });
    const name = newName('busy');
    await rpc(server.client, 'Register', { username: name, password });
    // About two seconds of hashing queued (cost 11: 100 ms or more each), then a call that must be answered in 0.6 s.
    const queued = Array.from({ length: 20 }, (_, index) => login(server, name, wrong, `192.0.2.${100 + index}`));
    // Once the first is answered, the others have long since reached the queue.
    await Promise.race(queued);
    const hurried = await login(server, name, wrong, '192.0.2.200', 600);
    expect(hurried.code).to.equal(status.RESOURCE_EXHAUSTED);
    expect(reasonOf(hurried)).to.equal('auth-busy');
    const answers = await Promise.all(queued);
    expect(answers.every((seen) => seen.code !== status.DEADLINE_EXCEEDED)).to.equal(true);
  });

  it('serves queued work round-robin across clients: one client’s backlog does not stand in front of another', async () => {
    const server = await start({ BCRYPT_COST: '10', AUTH_CLIENT_MAX_IN_FLIGHT: '6' });
    const name = newName('fair');
    await rpc(server.client, 'Register', { username: name, password });
    const finished: string[] = [];
    const track = (label: string, client: string) =>
      login(server, name, wrong, client).then(() => {
        finished.push(label);
      });
    const backlog = Array.from({ length: 6 }, (_, index) => track(`a${index}`, '203.0.113.20'));
    // Wait until the backlog is queued (its first hash is running), then another client arrives.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.all([...backlog, track('b', '198.51.100.20')]);
    expect(finished.indexOf('b')).to.be.below(finished.length - 2);
  });
});

describeEachDatabase('login abuse: the account-wide ceiling slows, known clients pass', (database) => {
  let first: TestAuthServer;
  let second: TestAuthServer;
  before(async () => {
    const config = await database.create();
    const env = { LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR: '6', LOGIN_MAX_FAILURES: '100' };
    first = await startTestAuthServer(config, env);
    second = await startTestAuthServer(config, env);
  });
  after(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await database.drop();
  });

  it('paces attempts past the ceiling, on every replica, but the owner’s known client logs in', async () => {
    const name = newName('ceil');
    await rpc(first.client, 'Register', { username: name, password });
    expect((await login(first, name, password, '198.51.100.1')).code).to.equal(status.OK);
    // Three failures from three clients spend the hour (a success gave its reservation back).
    for (const [index, server] of [first, second, first].entries()) {
      expect((await login(server, name, wrong, `203.0.113.${index + 1}`)).code).to.equal(status.UNAUTHENTICATED);
    }
    for (const server of [first, second]) {
      const slowed = await login(server, name, wrong, '203.0.113.9');
      expect(reasonOf(slowed)).to.equal('account-slowed');
      // The next slot is 20 minutes away (2 hours / 6): too far to wait within the deadline.
      expect(retryAfterOf(slowed)).to.be.within(60, 1200);
    }
    // The owner's client is known for the account: it is not paced.
    expect((await login(second, name, password, '198.51.100.1')).code).to.equal(status.OK);
    // A new client of the owner's is paced like anyone else.
    expect(reasonOf(await login(first, name, password, '198.51.100.2'))).to.equal('account-slowed');
    const [account] = (await first.handle.db.query(
      'select paced_attempts from login_accounts where username_normalized = ?',
      [name],
    )) as Array<{
      paced_attempts: number | string;
    }>;
    expect(Number(account.paced_attempts)).to.equal(0);
  });

  it('spends the budget exactly when attempts race on two replicas', async () => {
    const name = newName('race');
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        login(index % 2 ? first : second, name, wrong, `203.0.113.${100 + index}`),
      ),
    );
    expect(outcomes.filter((seen) => seen.code === status.UNAUTHENTICATED)).to.have.length(3);
    expect(outcomes.filter((seen) => reasonOf(seen) === 'account-slowed')).to.have.length(9);
  });
});
