import { randomBytes, randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { parseDatabaseUrl } from '../../common/src/config';
import {
  maxTransactionAttempts,
  openSqlDatabase,
  sqlChannelName,
  type SqlDatabase,
} from '../../common/src/sql/database';
import type { HttpResponse } from '../resilience/support/http';
import { countResults, percentile, startLoad, type Outcome } from '../resilience/support/load';
import { orderBody, type Order } from '../resilience/support/orders';
import { sleep } from '../support/managed-process';
import { GaleraCluster, type GaleraNode } from './support/galera';
import { ScaleReport } from './support/report';
import {
  loginMaxFailures,
  migrate,
  ScaleStack,
  sessionCacheTtlMs,
  sharedSecrets,
  tokenCacheTtlMs,
  type DatabaseUrls,
} from './support/stack';

const ordersDatabase = 'aletheia_orders';
const authDatabase = 'aletheia_auth';
/** How long another pod may still honour an ended session: its gateway's cache, then its auth-service's. */
const logoutBoundMs = tokenCacheTtlMs + sessionCacheTtlMs;
const loadConcurrency = 8;
const loadDurationMs = 8000;

interface Tokens {
  username: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function tokensOf(response: HttpResponse): { accessToken: string; refreshToken: string } {
  const body = response.json;
  if (typeof body !== 'object' || body === null || !('accessToken' in body) || !('refreshToken' in body)) {
    throw new Error(`expected a token pair, got ${response.status} ${response.text}`);
  }
  return { accessToken: String(body.accessToken), refreshToken: String(body.refreshToken) };
}

function username(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`.slice(0, 20);
}

async function login(stack: ScaleStack, name: string, password: string): Promise<Tokens> {
  const response = await stack.request({ method: 'POST', path: '/auth/login', body: { username: name, password } });
  if (response.status !== 200) throw new Error(`login ${name} on ${stack.label}: ${response.status} ${response.text}`);
  return { username: name, password, ...tokensOf(response) };
}

async function newUser(stack: ScaleStack, prefix = 'u'): Promise<Tokens> {
  const name = username(prefix);
  const password = `Pw-${randomBytes(6).toString('hex')}9`;
  const registered = await stack.request({
    method: 'POST',
    path: '/auth/register',
    body: { username: name, password },
  });
  if (registered.status !== 204) throw new Error(`register on ${stack.label}: ${registered.status} ${registered.text}`);
  return login(stack, name, password);
}

function createOrder(stack: ScaleStack, token: string, key?: string, timeoutMs = 10_000): Promise<HttpResponse> {
  return stack.request({
    method: 'POST',
    path: '/orders/purchase',
    headers: { ...bearer(token), ...(key ? { 'idempotency-key': key } : {}) },
    body: orderBody(),
    timeoutMs,
  });
}

function orderOf(response: HttpResponse): Order {
  const body = response.json;
  if (typeof body !== 'object' || body === null || !('id' in body)) throw new Error(`not an order: ${response.text}`);
  // The campaign reads the contract's Order; the gateway's contract tests check its shape.
  return body as Order;
}

async function rows(connection: Connection, sql: string, params: unknown[] = []): Promise<RowDataPacket[]> {
  const [result] = await connection.query<RowDataPacket[]>(sql, params);
  return result;
}

/**
 * What a multi-statement transaction on Galera acknowledges versus what the cluster
 * stores, sent the way the data-access module sends it to a standalone server.
 */
async function multiStatementProbe(
  nodes: GaleraNode[],
): Promise<Record<string, { acknowledged: number; acknowledgedButMissing: number; failed: number }>> {
  const connections = await Promise.all(
    [0, 1, 0, 1, 0, 1, 0, 1].map((index) =>
      createConnection({
        host: '127.0.0.1',
        port: nodes[index].sqlPort,
        user: 'root',
        database: ordersDatabase,
        multipleStatements: true,
      }),
    ),
  );
  // The two shapes the data-access module sends to a standalone server: all in one
  // query, or BEGIN with the first statements and COMMIT with the last ones.
  const shapes: Record<string, (connection: Connection, id: string) => Promise<unknown>> = {
    'one query': (connection, id) =>
      connection.query(
        'BEGIN; insert into scale_raw (id) values (?); update scale_hot set n = n + 1 where id = 1; COMMIT',
        [id],
      ),
    'two queries': async (connection, id) => {
      await connection.query('BEGIN; update scale_hot set n = n + 1 where id = 1');
      await connection.query('insert into scale_raw (id) values (?); COMMIT', [id]);
    },
  };
  const acknowledged: Record<string, string[]> = { 'one query': [], 'two queries': [] };
  const failed: Record<string, number> = { 'one query': 0, 'two queries': 0 };
  try {
    await connections[0].query('create table scale_raw (id varchar(36) primary key)');
    await Promise.all(
      connections.map(async (connection) => {
        for (let round = 0; round < 20; round++) {
          const shape = round % 2 === 0 ? 'one query' : 'two queries';
          const id = randomUUID();
          try {
            await shapes[shape](connection, id);
            acknowledged[shape].push(id);
          } catch {
            failed[shape] += 1;
            await connection.query('ROLLBACK').catch(() => undefined);
          }
        }
      }),
    );
  } finally {
    await Promise.all(connections.map((connection) => connection.end().catch(() => undefined)));
  }
  const check = await nodes[2].connect(ordersDatabase);
  try {
    const stored = new Set((await rows(check, 'select id from scale_raw')).map((row) => String(row.id)));
    await check.query('drop table scale_raw');
    return Object.fromEntries(
      Object.entries(acknowledged).map(([shape, ids]) => [
        shape,
        {
          acknowledged: ids.length,
          acknowledgedButMissing: ids.filter((id) => !stored.has(id)).length,
          failed: failed[shape],
        },
      ]),
    );
  } finally {
    await check.end();
  }
}

function summary(outcomes: Outcome[], durationMs: number) {
  const answered = outcomes.filter((outcome) => typeof outcome.result === 'number');
  const ok = answered.filter((outcome) => Number(outcome.result) < 400);
  return {
    operations: outcomes.length,
    throughput: (ok.length * 1000) / durationMs,
    p50: percentile(
      ok.map((outcome) => outcome.durationMs),
      50,
    ),
    p99: percentile(
      ok.map((outcome) => outcome.durationMs),
      99,
    ),
    results: countResults(outcomes),
  };
}

describe('scale-out on a three-node Galera cluster', function () {
  this.timeout(240_000);
  const report = new ScaleReport();
  const secrets = sharedSecrets();
  const admin = { username: username('admin'), password: `Adm1n-${randomBytes(8).toString('hex')}` };
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'aletheia-scale-'));
  /** Every order a stack acknowledged (201, or 200 for a replay), by id, as it was answered. */
  const acknowledged = new Map<string, Order>();
  let cluster: GaleraCluster | undefined;
  let a: ScaleStack | undefined;
  let b: ScaleStack | undefined;
  let nodes: GaleraNode[] = [];
  let user: Tokens;
  let adminTokens: Tokens;

  const stackA = () => {
    if (!a) throw new Error('stack A is not running');
    return a;
  };
  const stackB = () => {
    if (!b) throw new Error('stack B is not running');
    return b;
  };
  const urlsVia = (first: GaleraNode, second: GaleraNode): DatabaseUrls => {
    const hosts = `127.0.0.1:${first.sqlPort},127.0.0.1:${second.sqlPort}`;
    return { orders: `mysql://root@${hosts}/${ordersDatabase}`, auth: `mysql://root@${hosts}/${authDatabase}` };
  };
  let rememberOrders = true;
  const remember = (response: HttpResponse) => {
    if (!rememberOrders) return;
    if (response.status === 201 || (response.status === 200 && response.json !== undefined)) {
      const order = orderOf(response);
      acknowledged.set(order.id, order);
    }
  };

  before(async function () {
    this.timeout(300_000);
    const lines = report.section('Cluster');
    const started = await GaleraCluster.start(3);
    cluster = started.cluster;
    nodes = cluster.nodes;
    lines.push(`- three nodes formed (wsrep_cluster_size=3) in ${(started.formedMs / 1000).toFixed(1)} s`);
    const connection = await nodes[0].connect();
    await connection.query(`create database ${ordersDatabase}`);
    await connection.query(`create database ${authDatabase}`);
    await connection.end();
    const migrationStarted = performance.now();
    await migrate(urlsVia(nodes[0], nodes[2]));
    lines.push(`- migrated once through node 1 in ${((performance.now() - migrationStarted) / 1000).toFixed(1)} s`);
    a = await ScaleStack.start({ label: 'A', urls: urlsVia(nodes[0], nodes[2]), secrets, logDir, admin });
    b = await ScaleStack.start({ label: 'B', urls: urlsVia(nodes[1], nodes[2]), secrets, logDir });
    lines.push(
      '- stack A: `ORDERS_DATABASE_URL=mysql://…@node1,node3/…`; stack B: `…@node2,node3/…` (same for the auth-service)',
    );
    user = await newUser(stackA(), 'buyer');
    adminTokens = await login(stackB(), admin.username, admin.password);
  });

  afterEach(function () {
    const test = this.currentTest;
    if (test) report.outcome(test.title, test.state === 'passed');
  });

  after(async function () {
    this.timeout(120_000);
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await cluster?.stop();
    if (!process.env.SCALE_KEEP_CLUSTER) rmSync(logDir, { recursive: true, force: true });
    report.write();
  });

  it('serves a mixed load on the cluster through both stacks, compared with one standalone server', async function () {
    const lines = report.section('Mixed load: standalone MariaDB vs three-node cluster');
    const standaloneServer = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
    const server = parseDatabaseUrl(standaloneServer, 1);
    if (server.client !== 'mysql') throw new Error('TEST_MYSQL_URL must be a mysql:// URL');
    const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
    const standaloneNames = { orders: `scale_orders_${suffix}`, auth: `scale_auth_${suffix}` };
    const admin3306 = await createConnection({ ...server.hosts[0], user: server.user, password: server.password });
    const standaloneHost = `${server.hosts[0].host}:${server.hosts[0].port}`;
    const credentials = server.password ? `${server.user}:${encodeURIComponent(server.password)}` : server.user;
    const standaloneUrls = {
      orders: `mysql://${credentials}@${standaloneHost}/${standaloneNames.orders}`,
      auth: `mysql://${credentials}@${standaloneHost}/${standaloneNames.auth}`,
    };
    /** Each client acts as a buyer of its own; on the cluster a buyer's requests alternate between the stacks. */
    const mixed = async (stacks: ScaleStack[]) => {
      const buyers = await Promise.all(Array.from({ length: loadConcurrency }, () => newUser(stacks[0], 'mix')));
      const known = await Promise.all(
        buyers.map(async (buyer) => {
          const seed = await createOrder(stacks[0], buyer.accessToken);
          remember(seed);
          return [orderOf(seed).id];
        }),
      );
      return startLoad({
        concurrency: loadConcurrency,
        maxOperations: 50_000,
        maxDurationMs: loadDurationMs,
        operation: (index) => {
          const client = index % buyers.length;
          const buyer = buyers[client];
          const stack = stacks[Math.floor(index / buyers.length) % stacks.length];
          const kind = Math.floor(index / buyers.length) % 10;
          if (kind < 3) {
            return {
              label: 'create',
              run: async () => {
                const response = await createOrder(stack, buyer.accessToken);
                if (response.status === 201) known[client].push(orderOf(response).id);
                remember(response);
                return response;
              },
            };
          }
          if (kind < 9) {
            const id = known[client][index % known[client].length];
            return {
              label: 'get',
              run: () => stack.request({ method: 'GET', path: `/orders/${id}`, headers: bearer(buyer.accessToken) }),
            };
          }
          return {
            label: 'list',
            run: () => stack.request({ method: 'GET', path: '/orders?limit=20', headers: bearer(buyer.accessToken) }),
          };
        },
      });
    };
    let standalone: ScaleStack | undefined;
    let standaloneFigures: ReturnType<typeof summary>;
    try {
      await admin3306.query(`create database ${standaloneNames.orders}`);
      await admin3306.query(`create database ${standaloneNames.auth}`);
      await migrate(standaloneUrls);
      rememberOrders = false;
      standalone = await ScaleStack.start({ label: 'S', urls: standaloneUrls, secrets, logDir });
      const run = await mixed([standalone]);
      standaloneFigures = summary(await run.done, loadDurationMs);
    } finally {
      rememberOrders = true;
      await standalone?.stop();
      await admin3306.query(`drop database if exists ${standaloneNames.orders}`);
      await admin3306.query(`drop database if exists ${standaloneNames.auth}`);
      await admin3306.end();
    }
    const run = await mixed([stackA(), stackB()]);
    const clusterFigures = summary(await run.done, loadDurationMs);
    lines.push(
      `${loadConcurrency} clients in a closed loop for ${loadDurationMs / 1000} s each: 30 % creates (POST /orders/purchase),`,
      '60 % reads of one of the orders (GET /orders/{id}), 10 % pages (GET /orders?limit=20); each client is a buyer of its own.',
      "On the cluster each buyer's requests alternate between stack A (node 1) and stack B (node 2).",
      'Both setups share the same two CPUs with the load generator: on the cluster they also run three mariadbd and two stacks,',
      'so the gap measures the cluster on one machine (synchronous replication plus certification on every commit, causal reads), not what three servers would give.',
      '',
      '| setup | successful requests/s | p50 ms | p99 ms | answers |',
      '| --- | --- | --- | --- | --- |',
      `| one standalone MariaDB, one stack | ${standaloneFigures.throughput.toFixed(0)} | ${standaloneFigures.p50.toFixed(1)} | ${standaloneFigures.p99.toFixed(1)} | ${JSON.stringify(standaloneFigures.results)} |`,
      `| three-node Galera, two stacks | ${clusterFigures.throughput.toFixed(0)} | ${clusterFigures.p50.toFixed(1)} | ${clusterFigures.p99.toFixed(1)} | ${JSON.stringify(clusterFigures.results)} |`,
    );
    for (const figures of [standaloneFigures, clusterFigures]) {
      expect(Object.keys(figures.results).filter((result) => result !== '200' && result !== '201')).to.deep.equal([]);
    }
  });

  it('reads a write made through the other stack at once (wsrep_sync_wait)', async () => {
    let stale = 0;
    for (let round = 0; round < 40; round++) {
      const [writer, reader] = round % 2 === 0 ? [stackA(), stackB()] : [stackB(), stackA()];
      const created = await createOrder(writer, user.accessToken);
      expect(created.status, created.text).to.equal(201);
      remember(created);
      const read = await reader.request({
        method: 'GET',
        path: `/orders/${orderOf(created).id}`,
        headers: bearer(user.accessToken),
      });
      if (read.status !== 200) stale += 1;
    }
    report
      .section('Read-your-writes across pods')
      .push(`- 40 orders created through one stack and read at once through the other: ${stale} not found`);
    expect(stale).to.equal(0);
  });

  it('creates exactly one order for an idempotency key sent to A and B at once', async () => {
    const buyer = await newUser(stackA(), 'idem');
    const keys = Array.from({ length: 20 }, () => randomUUID());
    const answers: Record<string, number> = {};
    for (const key of keys) {
      const pair = await Promise.all([
        createOrder(stackA(), buyer.accessToken, key),
        createOrder(stackB(), buyer.accessToken, key),
      ]);
      for (const response of pair) {
        answers[response.status] = (answers[response.status] ?? 0) + 1;
        expect(response.status, response.text).to.be.oneOf([200, 201, 409, 503]);
        remember(response);
      }
      const ids = new Set(pair.filter((response) => response.status < 300).map((response) => orderOf(response).id));
      expect(ids.size, `key ${key}: ${pair.map((response) => response.text).join(' / ')}`).to.be.at.most(1);
      // A client retries a 409 or 503 until it gets its order.
      if (ids.size === 0) {
        for (let attempt = 0; attempt < 20 && ids.size === 0; attempt++) {
          await sleep(200);
          const retried = await createOrder(stackA(), buyer.accessToken, key);
          remember(retried);
          if (retried.status < 300) ids.add(orderOf(retried).id);
        }
      }
      expect(ids.size).to.equal(1);
    }
    const connection = await nodes[2].connect(ordersDatabase);
    try {
      const [userRow] = await rows(
        connection,
        'select count(*) as n, count(distinct id) as d from invoices where user_id = (select user_id from idempotency_keys where idempotency_key = ? limit 1)',
        [keys[0]],
      );
      expect(Number(userRow.n)).to.equal(keys.length);
      expect(Number(userRow.d)).to.equal(keys.length);
    } finally {
      await connection.end();
    }
    report
      .section('Idempotency keys across pods')
      .push(
        `- ${keys.length} keys, each sent to A and B at the same moment: answers ${JSON.stringify(answers)}; exactly one order per key on node 3`,
      );
  });

  it('keeps the state machine whole under 50 concurrent status changes and cancels split across A and B', async () => {
    const lines = report.section('Concurrent status changes and cancels');
    const targets = ['ORDER_COMPLETED', 'PAYMENT_RECEIVED', 'SHIPPED'];
    for (let round = 0; round < 3; round++) {
      const created = await createOrder(stackA(), user.accessToken);
      remember(created);
      const id = orderOf(created).id;
      const requests = Array.from({ length: 50 }, (_, index) => {
        const stack = index % 2 === 0 ? stackA() : stackB();
        if (index % 5 === 4) {
          return stack.request({ method: 'DELETE', path: `/orders/${id}`, headers: bearer(user.accessToken) });
        }
        return stack.request({
          method: 'PATCH',
          path: `/orders/${id}/status`,
          headers: bearer(adminTokens.accessToken),
          body: { status: targets[index % 3] },
        });
      });
      const responses = await Promise.all(requests);
      const answers = countResults(
        responses.map((response) => ({ label: '', result: response.status, startedMs: 0, durationMs: 0 })),
      );
      for (const response of responses) expect(response.status, response.text).to.be.oneOf([200, 400, 503]);
      for (const node of nodes) {
        const connection = await node.connect(ordersDatabase);
        try {
          const [invoice] = await rows(connection, 'select status, cancelled_at from invoices where id = ?', [id]);
          const history = await rows(
            connection,
            'select from_status, to_status from invoice_status_history where invoice_id = ? order by changed_at, id',
            [id],
          );
          // A chain from creation to the final status, each step an arrow of the state machine.
          expect(history[0].from_status).to.equal(null);
          expect(history[0].to_status).to.equal('PENDING');
          const forward: Record<string, string> = {
            PENDING: 'ORDER_COMPLETED',
            ORDER_COMPLETED: 'PAYMENT_RECEIVED',
            PAYMENT_RECEIVED: 'SHIPPED',
          };
          for (let step = 1; step < history.length; step++) {
            const from = String(history[step].from_status);
            const to = String(history[step].to_status);
            expect(from).to.equal(String(history[step - 1].to_status));
            expect(to === 'CANCELLED' ? from !== 'SHIPPED' : forward[from] === to, `${from} → ${to}`).to.equal(true);
          }
          expect(history[history.length - 1].to_status).to.equal(invoice.status);
          expect(invoice.cancelled_at === null).to.equal(invoice.status !== 'CANCELLED');
          // Every status a 200 reported was reached.
          const reached = new Set(history.map((entry) => String(entry.to_status)));
          for (const response of responses.filter((candidate) => candidate.status === 200)) {
            expect(reached.has(orderOf(response).status)).to.equal(true);
          }
          // The kept counts agree with the orders themselves.
          const mismatched = await rows(
            connection,
            'select c.status, c.total, (select count(*) from invoices i where i.user_id = c.user_id and i.order_type = c.order_type and i.status = c.status) as actual from invoice_counts c where c.user_id = (select user_id from invoices where id = ?)',
            [id],
          );
          for (const count of mismatched)
            expect(Number(count.total), String(count.status)).to.equal(Number(count.actual));
          if (node === nodes[0])
            lines.push(
              `- order ${round + 1}: ${JSON.stringify(answers)}; history ${history.map((entry) => entry.to_status).join(' → ')}`,
            );
        } finally {
          await connection.end();
        }
      }
    }
  });

  it('rejects on B a session logged out on A within the documented bound', async () => {
    const delays: number[] = [];
    for (let round = 0; round < 12; round++) {
      const session = await login(stackA(), user.username, user.password);
      const probe = () =>
        stackB().request({ method: 'GET', path: '/orders?limit=1', headers: bearer(session.accessToken) });
      expect((await probe()).status).to.equal(200);
      const logout = await stackA().request({
        method: 'POST',
        path: '/auth/logout',
        headers: bearer(session.accessToken),
      });
      expect(logout.status).to.equal(204);
      const loggedOutAt = performance.now();
      let status = (await probe()).status;
      while (status === 200 && performance.now() - loggedOutAt < logoutBoundMs) {
        await sleep(20);
        status = (await probe()).status;
      }
      delays.push(performance.now() - loggedOutAt);
      // Past the bound the session is over on B, whatever the timing of the polls.
      if (status === 200) status = (await probe()).status;
      expect(status).to.equal(401);
    }
    report
      .section('Logout propagation (logout on A, token presented on B)')
      .push(
        `- bound: TOKEN_CACHE_TTL_MS (${tokenCacheTtlMs} ms, B's gateway) + SESSION_CACHE_TTL_MS (${sessionCacheTtlMs} ms, B's auth-service) = ${logoutBoundMs} ms`,
        `- ${delays.length} logouts, first 401 on B after (polled every 20 ms): min ${Math.min(...delays).toFixed(0)} ms, p50 ${percentile(delays, 50).toFixed(0)} ms, p90 ${percentile(delays, 90).toFixed(0)} ms, max ${Math.max(...delays).toFixed(0)} ms`,
      );
  });

  it('detects a refresh token reused across A and B and ends the session', async () => {
    const session = await login(stackA(), user.username, user.password);
    const rotated = await stackA().request({
      method: 'POST',
      path: '/auth/refresh',
      body: { refreshToken: session.refreshToken },
    });
    expect(rotated.status).to.equal(200);
    const current = tokensOf(rotated);
    const reused = await stackB().request({
      method: 'POST',
      path: '/auth/refresh',
      body: { refreshToken: session.refreshToken },
    });
    expect(reused.status).to.equal(401);
    const afterTheft = await stackA().request({
      method: 'POST',
      path: '/auth/refresh',
      body: { refreshToken: current.refreshToken },
    });
    expect(afterTheft.status).to.equal(401);
    report
      .section('Refresh-token reuse across pods')
      .push(
        '- rotated on A, the spent token presented on B: 401, and the rotated token is refused on A afterwards (the session was revoked)',
      );
  });

  it('counts login failures made through A and B together, alike on every node', async () => {
    const target = await newUser(stackA(), 'count');
    for (let attempt = 0; attempt < loginMaxFailures; attempt++) {
      const stack = attempt % 2 === 0 ? stackA() : stackB();
      const failed = await stack.request({
        method: 'POST',
        path: '/auth/login',
        body: { username: target.username, password: 'Wrong-password-1' },
      });
      expect(failed.status, failed.text).to.equal(401);
    }
    for (const stack of [stackA(), stackB()]) {
      const refused = await stack.request({
        method: 'POST',
        path: '/auth/login',
        body: { username: target.username, password: target.password },
      });
      expect(refused.status, `${stack.label}: ${refused.text}`).to.equal(429);
    }
    const seen: string[] = [];
    for (const node of nodes) {
      const connection = await node.connect(authDatabase);
      try {
        const counters = await rows(
          connection,
          'select client_key, consecutive_failures, refused_until from login_clients where username_normalized = ? order by client_key',
          [target.username.toLowerCase()],
        );
        seen.push(JSON.stringify(counters));
      } finally {
        await connection.end();
      }
    }
    expect(new Set(seen).size, seen.join('\n')).to.equal(1);
    expect(seen[0]).to.contain('refused_until');
    report
      .section('Login counters across pods')
      .push(
        `- ${loginMaxFailures} wrong passwords alternating A and B: the next login is refused (429) on both; the counter rows are identical on the three nodes`,
      );
  });

  it('never acknowledges a transaction the cluster did not store (one statement per round trip on Galera)', async () => {
    const lines = report.section('Transactions under certification conflicts');
    const url = (node: GaleraNode) => `mysql://root@127.0.0.1:${node.sqlPort}/${ordersDatabase}`;
    const setup = await nodes[0].connect(ordersDatabase);
    await setup.query('create table scale_probe (id varchar(36) primary key, n int not null)');
    await setup.query('create table scale_hot (id int primary key, n int not null)');
    await setup.query('insert into scale_hot values (1, 0)');
    await setup.end();
    const raw = await multiStatementProbe(nodes);
    for (const [shape, figures] of Object.entries(raw)) {
      lines.push(
        `- for comparison, 80 such transactions as multi-statement queries (${shape}), mysql2 directly, alternating nodes 1 and 2, no retry: ${figures.acknowledged} acknowledged, ${figures.acknowledgedButMissing} of them missing on node 3, ${figures.failed} failed`,
      );
    }
    const hidden = Object.values(raw).reduce((sum, figures) => sum + figures.acknowledgedButMissing, 0);
    lines.push(
      hidden === 0
        ? '- in this run no multi-statement transaction was acknowledged without being stored (the failures came back as errno 1213 errors); the data-access module sends one statement per round trip on Galera nodes all the same, so the error always belongs to the statement it hit'
        : `- ${hidden} multi-statement transactions were acknowledged without being stored: on Galera nodes the data-access module sends one statement per round trip`,
    );
    const reset = await nodes[0].connect(ordersDatabase);
    await reset.query('update scale_hot set n = 0 where id = 1');
    await reset.end();
    const databases: SqlDatabase[] = [nodes[0], nodes[1]].map((node) =>
      openSqlDatabase(parseDatabaseUrl(url(node), 8), { batches: true }),
    );
    const multiStatement: string[] = [];
    const watch = (message: unknown) => {
      const sql = typeof message === 'object' && message !== null && 'sql' in message ? String(message.sql) : '';
      if (sql.includes(';')) multiStatement.push(sql);
    };
    subscribe(sqlChannelName, watch);
    const stored: string[] = [];
    const failures: Record<string, number> = {};
    try {
      await Promise.all(
        Array.from({ length: 80 }, async (_, index) => {
          const id = randomUUID();
          try {
            await databases[index % 2].transaction((tx) =>
              tx.commitWith([
                { sql: 'insert into scale_probe (id, n) values (?, ?)', params: [id, index] },
                { sql: 'update scale_hot set n = n + 1 where id = 1', params: [] },
              ]),
            );
            stored.push(id);
          } catch (error) {
            const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
            failures[code] = (failures[code] ?? 0) + 1;
          }
        }),
      );
    } finally {
      unsubscribe(sqlChannelName, watch);
    }
    const conflicts = databases.map((db) => db.conflicts());
    await Promise.all(databases.map((db) => db.close()));
    const check = await nodes[2].connect(ordersDatabase);
    try {
      const found = await rows(check, 'select id from scale_probe');
      const [hot] = await rows(check, 'select n from scale_hot where id = 1');
      const ids = new Set(found.map((row) => String(row.id)));
      expect(stored.filter((id) => !ids.has(id))).to.deep.equal([]);
      expect(found.length).to.equal(stored.length);
      expect(Number(hot.n)).to.equal(stored.length);
      await check.query('drop table scale_probe');
      await check.query('drop table scale_hot');
    } finally {
      await check.end();
    }
    expect(multiStatement).to.deep.equal([]);
    lines.push(
      `- 80 transactions (insert a row, then update one hot row) through the data-access module, alternating nodes 1 and 2: ${stored.length} acknowledged, all of them (and no other) stored on node 3; gave up: ${JSON.stringify(failures)}`,
      `- conflicts retried: ${conflicts.map((count) => count.retried).join(' + ')}, given up: ${conflicts.map((count) => count.gaveUp).join(' + ')} (node 1 + node 2)`,
      '- no multi-statement query was sent to a Galera node',
    );
  });

  it('answers a conflict that outlives the retries with 503 and Retry-After, never 500 or an order not stored', async () => {
    const buyer = await newUser(stackA(), 'hot');
    const before = await Promise.all(
      [stackA(), stackB()].map((stack) => stack.metric('db_transaction_conflicts_total{outcome="gave_up"}')),
    );
    // One buyer creating from both pods at once: every create also updates the buyer's one count row.
    const run = startLoad({
      concurrency: 8,
      maxOperations: 400,
      maxDurationMs: 6000,
      operation: (index) => ({
        label: 'create',
        run: async () => {
          const response = await createOrder(index % 2 === 0 ? stackA() : stackB(), buyer.accessToken);
          remember(response);
          return response;
        },
      }),
    });
    const outcomes = await run.done;
    const after = await Promise.all(
      [stackA(), stackB()].map((stack) => stack.metric('db_transaction_conflicts_total{outcome="gave_up"}')),
    );
    const results = countResults(outcomes);
    for (const outcome of outcomes) {
      expect(outcome.result, outcome.response?.text).to.be.oneOf([201, 503]);
      if (outcome.result === 503) {
        expect(outcome.response?.headers['retry-after']).to.equal('1');
        expect(outcome.response?.text).to.contain('database-unavailable');
      }
    }
    const gaveUp = after[0] - before[0] + after[1] - before[1];
    expect(results['503'] ?? 0).to.equal(gaveUp);
    const created = outcomes.filter((outcome) => outcome.result === 201);
    const connection = await nodes[2].connect(ordersDatabase);
    try {
      const userId = created[0].response ? orderOf(created[0].response).userId : '';
      const [count] = await rows(connection, 'select count(*) as n from invoices where user_id = ?', [userId]);
      expect(Number(count.n)).to.equal(created.length);
    } finally {
      await connection.end();
    }
    report
      .section('Conflicts on one hot row')
      .push(
        `- one buyer, 8 concurrent creates alternating A and B for up to 6 s (every create also updates the buyer's count row): ${JSON.stringify(results)}`,
        `- transactions given up after ${maxTransactionAttempts} attempts: ${gaveUp}, each answered 503 \`database-unavailable\` with \`Retry-After: 1\`; none of them stored (see the last check)`,
      );
  });

  it('keeps serving when a node stops under load, and loses nothing it acknowledged', async function () {
    const lines = report.section('Node loss under load');
    const phases = { stoppedAt: 0, rejoinedAt: 0 };
    const load = async (stack: ScaleStack) => {
      const buyer = await newUser(stack, 'loss');
      const seeds = [orderOf(await createOrder(stack, buyer.accessToken)).id];
      return startLoad({
        concurrency: 4,
        maxOperations: 50_000,
        maxDurationMs: 120_000,
        operation: (index) =>
          index % 2 === 0
            ? {
                label: 'create',
                run: async () => {
                  const response = await createOrder(stack, buyer.accessToken);
                  remember(response);
                  if (response.status === 201) seeds.push(orderOf(response).id);
                  return response;
                },
              }
            : {
                label: 'get',
                run: () =>
                  stack.request({
                    method: 'GET',
                    path: `/orders/${seeds[index % seeds.length]}`,
                    headers: bearer(buyer.accessToken),
                  }),
              },
      });
    };
    const runs = { A: await load(stackA()), B: await load(stackB()) };
    await sleep(3000);
    phases.stoppedAt = performance.now();
    await nodes[1].stop('SIGTERM');
    const stopMs = performance.now() - phases.stoppedAt;
    await sleep(8000);
    nodes[1].start(false);
    const rejoinMs = await cluster?.waitSynced(nodes[1]);
    phases.rejoinedAt = performance.now();
    await sleep(4000);
    const outcomes = { A: await runs.A.stop(), B: await runs.B.stop() };
    /** Phases by wall time: the two loads started a moment apart. */
    const phaseOf = (run: { startedAt: number }, outcome: Outcome) => {
      const at = run.startedAt + outcome.startedMs;
      return at < phases.stoppedAt ? 'before' : at < phases.rejoinedAt ? 'node 2 away' : 'after';
    };
    /** Answers by status, 503s by problem type. */
    const answers = (list: Outcome[]) => {
      const counts: Record<string, number> = {};
      for (const outcome of list) {
        const type = /problems\/([a-z-]+)/.exec(outcome.response?.text ?? '')?.[1];
        const key = outcome.result === 503 && type ? `503 ${type}` : String(outcome.result);
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return JSON.stringify(counts);
    };
    lines.push(
      "4 clients per stack (a buyer per stack), half creates, half reads; node 2 (stack B's first host) stopped with SIGTERM after 3 s, started again 8 s later (incremental state transfer).",
      '',
      '| stack | before | node 2 away (stop to synced again) | after |',
      '| --- | --- | --- | --- |',
    );
    for (const [name, run] of Object.entries(runs)) {
      const list = outcomes[name === 'A' ? 'A' : 'B'];
      const byPhase = (phase: string) => answers(list.filter((outcome) => phaseOf(run, outcome) === phase));
      lines.push(`| ${name} | ${byPhase('before')} | ${byPhase('node 2 away')} | ${byPhase('after')} |`);
    }
    const lastFailureOfB = Math.max(
      0,
      ...outcomes.B.filter((outcome) => outcome.result === 503).map(
        (outcome) => runs.B.startedAt + outcome.startedMs + outcome.durationMs,
      ),
    );
    lines.push(
      '',
      `- node 2 stopped in ${(stopMs / 1000).toFixed(1)} s; rejoined (synced) ${((rejoinMs ?? 0) / 1000).toFixed(1)} s after its start`,
      `- stack B's last 503 ended ${((lastFailureOfB - phases.rejoinedAt) / 1000).toFixed(1)} s after node 2 was synced again (negative: before)`,
      "- B's gateway and B's auth-service both reach the database through the data-access module: when node 2 stops answering, each moves its connections to node 3, B's next host (the table shows what B answered meanwhile; a 503 there is a call that was on a connection to node 2 when it went).",
    );
    const brief = (outcome: Outcome) =>
      `${outcome.label} ${outcome.result} at ${outcome.startedMs.toFixed(0)} ms: ${outcome.response?.text.slice(0, 200) ?? ''}`;
    for (const list of [outcomes.A, outcomes.B]) {
      const broken = list.filter((outcome) => ![200, 201, 503].includes(Number(outcome.result)));
      expect(broken.map(brief)).to.deep.equal([]);
      const bare = list.filter((outcome) => outcome.result === 503 && !outcome.response?.headers['retry-after']);
      expect(bare.map(brief)).to.deep.equal([]);
    }
    // A never depended on node 2: it kept serving; B is whole again once node 2 is.
    const served = (list: Outcome[]) => list.filter((outcome) => Number(outcome.result) < 300).length / list.length;
    expect(served(outcomes.A), JSON.stringify(countResults(outcomes.A))).to.be.at.least(0.99);
    // B's programs fail over to node 3: the calls caught on node 2 when it went are the only loss.
    const bAway = outcomes.B.filter((outcome) => phaseOf(runs.B, outcome) === 'node 2 away');
    expect(served(bAway), JSON.stringify(countResults(bAway))).to.be.at.least(0.95);
    const bAfter = outcomes.B.filter((outcome) => phaseOf(runs.B, outcome) === 'after');
    expect(served(bAfter), JSON.stringify(countResults(bAfter))).to.be.at.least(0.99);
  });

  it('holds every acknowledged order exactly once on all three nodes, as it was answered', async () => {
    const ids = [...acknowledged.keys()];
    const fingerprints: string[] = [];
    for (const node of nodes) {
      const connection = await node.connect(ordersDatabase);
      try {
        const found = new Map<string, RowDataPacket>();
        for (let start = 0; start < ids.length; start += 500) {
          const slice = ids.slice(start, start + 500);
          for (const row of await rows(
            connection,
            `select id, order_number, user_id, order_type, quantity, price_per_gram, total_price from invoices where id in (${slice.map(() => '?').join(',')})`,
            slice,
          )) {
            found.set(String(row.id), row);
          }
        }
        const wrong = ids.filter((id) => {
          const row = found.get(id);
          const order = acknowledged.get(id);
          return (
            !row ||
            !order ||
            row.order_number !== order.orderNumber ||
            row.user_id !== order.userId ||
            row.order_type !== order.orderType ||
            Number(row.quantity) !== Number(order.quantity) ||
            Number(row.price_per_gram) !== Number(order.pricePerGram) ||
            Number(row.total_price) !== Number(order.totalPrice)
          );
        });
        expect(wrong, `node ${node.index}`).to.deep.equal([]);
        const [sums] = await rows(
          connection,
          "select count(*) as n, coalesce(sum(crc32(concat_ws('|', id, order_number, status, total_price))), 0) as c from invoices",
        );
        const [duplicates] = await rows(
          connection,
          'select count(*) as n from (select order_number from invoices group by order_number having count(*) > 1) d',
        );
        expect(Number(duplicates.n)).to.equal(0);
        fingerprints.push(`${sums.n}/${sums.c}`);
      } finally {
        await connection.end();
      }
    }
    expect(new Set(fingerprints).size, fingerprints.join(' ')).to.equal(1);
    const conflicts = await Promise.all(
      [stackA(), stackB()].map(async (stack) => ({
        retried: await stack.metric('db_transaction_conflicts_total{outcome="retried"}'),
        gaveUp: await stack.metric('db_transaction_conflicts_total{outcome="gave_up"}'),
      })),
    );
    report
      .section('Acknowledged orders and conflicts over the whole run')
      .push(
        `- ${ids.length} orders acknowledged (201, or 200 replaying a key) through A and B: each present once on every node with the answered number, user, type, quantity, price and total`,
        `- the invoices table is identical on the three nodes (${fingerprints[0].split('/')[0]} rows, same checksum)`,
        `- the gateways' db_transaction_conflicts_total: A retried ${conflicts[0].retried}, gave up ${conflicts[0].gaveUp}; B retried ${conflicts[1].retried}, gave up ${conflicts[1].gaveUp}`,
      );
  });
});
