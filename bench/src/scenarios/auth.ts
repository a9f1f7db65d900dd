import bcrypt from 'bcrypt';
import type { Account } from '../api';
import { runBcryptLoad } from '../bcrypt-load';
import type { BenchContext } from '../context';
import { measureHttp, record, renewTokens, settleLogins } from '../context';
import { authClient, runValidateTokenLoad } from '../grpc-load';
import { runAutocannon, outcomeOf, type HttpRequestSpec } from '../http-load';
import { getOrderRequest } from './reads';
import { ensureReadOrders } from './setup';

/** The ValidateToken RPC alone, driven from the bench process: the auth-service's CPU per call. */
export async function validateToken(ctx: BenchContext): Promise<void> {
  await renewTokens(ctx);
  const client = authClient(ctx.system.grpcAddress);
  const tokens = ctx.readUsers.map((user) => user.account.tokens.accessToken);
  try {
    await record(ctx, 'validateToken', ctx.system.watched, (seconds) =>
      runValidateTokenLoad(client, tokens, ctx.profile.connections, seconds),
    );
  } finally {
    client.close();
  }
}

function loginRequest(accounts: Account[]): HttpRequestSpec {
  const bodies = accounts.map((account) => JSON.stringify({ username: account.username, password: account.password }));
  let next = 0;
  return {
    method: 'POST',
    path: '/auth/login',
    headers: { 'content-type': 'application/json' },
    setupRequest: (request) => {
      request.body = bodies[next++ % bodies.length];
      return request;
    },
  };
}

/**
 * The raw bcrypt-compare rate at the service's cost and bound (in the bench process,
 * nothing else running), then POST /auth/login at full load: logins per second should
 * come within 10% of it, which also shows one bcrypt operation per login.
 */
export async function login(ctx: BenchContext): Promise<void> {
  const accounts = ctx.loginAccounts;
  // The load comes from the bench's own address: one login per account first makes it a
  // known client of each (as a customer's device is), so the load measures logins, not
  // the admission of an unknown client's flood.
  for (const account of accounts) await ctx.api.login(account.username, account.password);
  const password = accounts[0].password;
  const hash = await bcrypt.hash(password, ctx.system.authConfig.bcryptCost);
  await record(
    ctx,
    'bcryptRaw',
    { bench: process.pid },
    (seconds) => runBcryptLoad(hash, password, ctx.system.authConfig.bcryptMaxConcurrency, seconds),
    ['bench'],
  );
  await measureHttp(ctx, 'login', {
    requests: [loginRequest(accounts)],
    connections: ctx.profile.loginConnections,
    timeoutSeconds: 30,
  });
  await settleLogins(ctx);
}

/**
 * GET /orders/{id} while logins keep every bcrypt slot busy: the bound on concurrent
 * bcrypt work must leave the reads at least half their unloaded throughput.
 */
export async function getOrderUnderLogins(ctx: BenchContext): Promise<void> {
  await ensureReadOrders(ctx);
  await renewTokens(ctx);
  const accounts = ctx.loginAccounts;
  const logins = runAutocannon(
    {
      baseUrl: ctx.system.apiUrl,
      connections: ctx.profile.loginConnections,
      requests: [loginRequest(accounts)],
      timeoutSeconds: 30,
    },
    { duration: 3600 },
  );
  try {
    // Let the login queue fill before the reads are measured.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await measureHttp(ctx, 'getOrderUnderLogins', { requests: [getOrderRequest(ctx)] });
  } finally {
    logins.instance.stop();
  }
  const background = outcomeOf(await logins);
  await settleLogins(ctx);
  ctx.facts.loginsDuringReads = {
    loginsPerSec: background.succeeded / background.durationSeconds,
    statuses: background.statuses,
    p99Ms: background.p99Ms,
  };
}
