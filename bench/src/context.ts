import type { Knex } from 'knex';
import type { Account, Api } from './api';
import { runHttpLoad, type HttpLoadSpec } from './http-load';
import { measure, type LoadOutcome, type Measurement } from './measure';
import type { Profile } from './profile';
import type { BenchSystem } from './system';
import type { Watched } from './proc-stats';

/** A user the read scenarios act as, with the orders it owns. */
export interface ReadUser {
  account: Account;
  orderIds: string[];
}

/** Everything the scenarios share during one run. */
export interface BenchContext {
  profile: Profile;
  system: BenchSystem;
  api: Api;
  /** A direct connection to the orders database, for seeding and checks. */
  ordersDb: Knex;
  admin: Account;
  readUsers: ReadUser[];
  /** Users the login scenarios log in, in turn. */
  loginAccounts: Account[];
  /** The user who owns `largeTableUserInvoices` orders of the large table. */
  largeTableOwner: Account;
  /** Measurements by scenario name. */
  results: Record<string, Measurement>;
  /** Facts a scenario checked besides speed (order verification, RSS growth, ...). */
  facts: Record<string, unknown>;
  log: (line: string) => void;
}

/** Tokens are renewed well before JWT_EXPIRES_IN (15 min by default) runs out. */
const tokenMaxAgeMs = 8 * 60 * 1000;

export async function renewTokens(ctx: BenchContext): Promise<void> {
  const accounts = [ctx.admin, ctx.largeTableOwner, ...ctx.readUsers.map((user) => user.account)];
  await Promise.all(accounts.map((account) => ctx.api.renew(account, tokenMaxAgeMs)));
}

/** The processes a request costs: the programs and the benchmark's share of the database. */
export const systemRoles = ['gateway', 'auth', 'db'];

/** Measures an HTTP load against the system (or, with `watched`, the ceiling) and records it. */
export async function measureHttp(
  ctx: BenchContext,
  name: string,
  spec: Omit<HttpLoadSpec, 'baseUrl' | 'connections'> & { baseUrl?: string; connections?: number },
  watched: Watched = ctx.system.watched,
): Promise<Measurement> {
  const load: HttpLoadSpec = {
    baseUrl: spec.baseUrl ?? ctx.system.apiUrl,
    connections: spec.connections ?? ctx.profile.connections,
    requests: spec.requests,
    timeoutSeconds: spec.timeoutSeconds,
  };
  return record(ctx, name, watched, (seconds) => runHttpLoad(load, seconds));
}

/** Measures any load function with the run's warm-up/run settings and records it. */
export async function record(
  ctx: BenchContext,
  name: string,
  watched: Watched,
  load: (seconds: number, measured: boolean) => Promise<LoadOutcome>,
  roles: string[] = watched.ceiling !== undefined ? ['ceiling'] : systemRoles,
): Promise<Measurement> {
  ctx.system.assertRunning();
  ctx.log(`${name}`);
  const measurement = await measure({
    name,
    watched,
    systemRoles: roles,
    dbThreads: watched.gateway !== undefined ? ctx.system.dbThreads : undefined,
    warmupSeconds: ctx.profile.warmupSeconds,
    runs: ctx.profile.runs,
    runSeconds: ctx.profile.runSeconds,
    load,
    log: ctx.log,
  });
  ctx.system.assertRunning();
  if (measurement.succeeded === 0) {
    throw new Error(`${name}: not one successful request (statuses ${JSON.stringify(measurement.statuses)})`);
  }
  ctx.results[name] = measurement;
  return measurement;
}

/** Hands out items in turn to every request of a load (one counter shared by all connections). */
export function roundRobin<T>(items: T[]): () => T {
  if (items.length === 0) throw new Error('nothing to hand out');
  let next = 0;
  return () => items[next++ % items.length];
}

/** Today's date in the business time zone, as the list's `date` filter takes it. */
export function businessDate(date: Date, timeZone = 'Asia/Seoul'): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
}

/**
 * Waits until a login is answered promptly again: logins abandoned by a load that just
 * stopped may still hold the auth-service's bcrypt queue for a while.
 */
export async function settleLogins(ctx: BenchContext): Promise<void> {
  const started = performance.now();
  for (;;) {
    const answered = performance.now();
    try {
      await ctx.api.login(ctx.admin.username, ctx.admin.password);
      if (performance.now() - answered < 2000) return;
    } catch (error) {
      if (performance.now() - started > 120_000) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
