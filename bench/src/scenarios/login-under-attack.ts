import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { requestFrom, type Account } from '../api';
import type { BenchContext } from '../context';
import { percentile } from '../measure';
import { cpuDelta, cpuSnapshot } from '../proc-stats';

/** Five customers, each from an address of its own, each logging in every two seconds. */
const customers = 5;
const customerIntervalMs = 2000;
/** The flood: logins per second, wrong passwords, a mix of random and real usernames. */
const attackPerSecond = 120;

export interface PhaseFigures {
  seconds: number;
  customers: {
    sent: number;
    succeeded: number;
    successRate: number;
    p50Ms: number;
    p99Ms: number;
    statuses: Record<string, number>;
  };
  attacker?: { sent: number; perSecond: number; statuses: Record<string, number>; share429: number };
  /** auth-service CPU over the phase, per second. */
  authCpuMsPerSecond: number;
  /**
   * auth-service CPU per attacking request, its hashes left out: the phase's auth CPU less
   * the hashed logins of the phase at the calm phase's CPU per login, over the attacking requests.
   */
  authCpuMsPerAttackingRequest?: number;
  /** Cores' worth of CPU everything outside the system used meanwhile (other work on the machine). */
  otherCores: number;
}

export interface AttackShapeFigures {
  attackingAddresses: number;
  alone: PhaseFigures;
  underAttack: PhaseFigures;
}

export interface LoginUnderAttackFacts {
  bcryptCost: number;
  oneAddress: AttackShapeFigures;
  twentyAddresses: AttackShapeFigures;
}

const count = (statuses: Record<string, number>, status: string) => {
  statuses[status] = (statuses[status] ?? 0) + 1;
};

/** An answer's status, with the problem type of a 429 (`429 client-throttled`). */
function outcome(answer: { status: number; text: string }): string {
  if (answer.status !== 429) return String(answer.status);
  try {
    return `429 ${String((JSON.parse(answer.text) as { type?: string }).type).replace(/.*\//, '')}`;
  } catch {
    return '429';
  }
}

const refusedShare = (statuses: Record<string, number>, total: number) =>
  Object.entries(statuses)
    .filter(([status]) => status.startsWith('429'))
    .reduce((sum, [, n]) => sum + n, 0) / Math.max(1, total);

/** One customer logging in on a fixed schedule (open loop: a slow answer never delays the next login). */
function customerLoop(
  baseUrl: URL,
  account: Account,
  offsetMs: number,
  until: number,
  record: (status: string, ms: number) => void,
): Promise<void> {
  const agent = new http.Agent({ keepAlive: true });
  const body = JSON.stringify({ username: account.username, password: account.password });
  const logins: Array<Promise<void>> = [];
  return new Promise<void>((resolve) => {
    const fire = () => {
      if (performance.now() >= until) {
        void Promise.all(logins).then(() => {
          agent.destroy();
          resolve();
        });
        return;
      }
      const started = performance.now();
      logins.push(
        requestFrom(agent, new URL('/auth/login', baseUrl), {
          method: 'POST',
          body,
          localAddress: account.localAddress,
          timeoutMs: 30_000,
        }).then(
          (answer) => record(outcome(answer), performance.now() - started),
          () => record('no answer', performance.now() - started),
        ),
      );
      setTimeout(fire, customerIntervalMs);
    };
    setTimeout(fire, offsetMs);
  });
}

/** The flood: `perSecond` logins spread over `addresses`, sent every 10 ms whatever the answers do. */
function attack(
  baseUrl: URL,
  addresses: string[],
  realNames: string[],
  perSecond: number,
  until: number,
  statuses: Record<string, number>,
): Promise<number> {
  const agents = addresses.map(() => new http.Agent({ keepAlive: true, maxSockets: 256 }));
  const pending = new Set<Promise<void>>();
  let sent = 0;
  const started = performance.now();
  return new Promise<number>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      if (now >= until) {
        clearInterval(tick);
        void Promise.all(pending).then(() => {
          for (const agent of agents) agent.destroy();
          resolve(sent);
        });
        return;
      }
      const due = Math.floor(((now - started) / 1000) * perSecond) - sent;
      for (let index = 0; index < due; index += 1) {
        const slot = sent % addresses.length;
        sent += 1;
        // Half real usernames (the customers'), half random ones; always a wrong password.
        const username = sent % 2 === 0 ? realNames[sent % realNames.length] : `x${randomBytes(6).toString('hex')}`;
        const body = JSON.stringify({ username, password: `Wrong-${randomBytes(4).toString('hex')}1` });
        const request = requestFrom(agents[slot], new URL('/auth/login', baseUrl), {
          method: 'POST',
          body,
          localAddress: addresses[slot],
          timeoutMs: 30_000,
        }).then(
          (answer) => count(statuses, outcome(answer)),
          () => count(statuses, 'no answer'),
        );
        pending.add(request);
        void request.finally(() => pending.delete(request));
      }
    }, 10);
  });
}

async function phase(
  ctx: BenchContext,
  accounts: Account[],
  seconds: number,
  attackers: string[],
): Promise<PhaseFigures> {
  const baseUrl = new URL(ctx.system.apiUrl);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const attackStatuses: Record<string, number> = {};
  const watched = ctx.system.watched;
  const before = cpuSnapshot(watched);
  const started = performance.now();
  const until = started + seconds * 1000;
  const record = (status: string, ms: number) => {
    count(statuses, status);
    latencies.push(ms);
  };
  const [sentByAttacker] = await Promise.all([
    attackers.length > 0
      ? attack(
          baseUrl,
          attackers,
          accounts.map((account) => account.username),
          attackPerSecond,
          until,
          attackStatuses,
        )
      : Promise.resolve(0),
    ...accounts.map((account, index) =>
      customerLoop(baseUrl, account, (index * customerIntervalMs) / accounts.length, until, record),
    ),
  ]);
  const cpu = cpuDelta(before, cpuSnapshot(watched));
  const elapsedSeconds = (performance.now() - started) / 1000;
  const watchedMs = Object.keys(watched).reduce((sum, role) => sum + (cpu[role] ?? 0), 0);
  latencies.sort((a, b) => a - b);
  const sent = latencies.length;
  const succeeded = statuses['200'] ?? 0;
  return {
    seconds,
    customers: {
      sent,
      succeeded,
      successRate: sent > 0 ? succeeded / sent : 0,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      statuses,
    },
    ...(attackers.length > 0
      ? {
          attacker: {
            sent: sentByAttacker,
            perSecond: sentByAttacker / seconds,
            statuses: attackStatuses,
            share429: refusedShare(attackStatuses, sentByAttacker),
          },
        }
      : {}),
    authCpuMsPerSecond: (cpu.auth ?? 0) / elapsedSeconds,
    otherCores: Math.max(0, cpu.machine - watchedMs) / 1000 / elapsedSeconds,
  };
}

async function shape(ctx: BenchContext, accounts: Account[], attackers: string[]): Promise<AttackShapeFigures> {
  const seconds = ctx.profile.mode === 'smoke' ? 6 : 30;
  ctx.log(`loginUnderAttack: ${customers} customers alone, ${seconds} s`);
  const alone = await phase(ctx, accounts, seconds, []);
  ctx.log(
    `  alone: ${alone.customers.succeeded}/${alone.customers.sent} ok, p50 ${alone.customers.p50Ms.toFixed(0)} ms, p99 ${alone.customers.p99Ms.toFixed(0)} ms`,
  );
  ctx.log(
    `loginUnderAttack: the same with ${attackPerSecond} logins/s from ${attackers.length} address(es), ${seconds} s`,
  );
  const underAttack = await phase(ctx, accounts, seconds, attackers);
  const cpuPerLogin = (alone.authCpuMsPerSecond * alone.seconds) / Math.max(1, alone.customers.succeeded);
  const hashed = underAttack.customers.succeeded + (underAttack.attacker?.statuses['401'] ?? 0);
  const extraCpuMs = underAttack.authCpuMsPerSecond * underAttack.seconds - hashed * cpuPerLogin;
  underAttack.authCpuMsPerAttackingRequest = Math.max(0, extraCpuMs) / Math.max(1, underAttack.attacker?.sent ?? 0);
  ctx.log(
    `  under attack: ${underAttack.customers.succeeded}/${underAttack.customers.sent} ok, p50 ${underAttack.customers.p50Ms.toFixed(0)} ms, p99 ${underAttack.customers.p99Ms.toFixed(0)} ms; attacker ${JSON.stringify(underAttack.attacker?.statuses)}, auth CPU ${underAttack.authCpuMsPerAttackingRequest.toFixed(3)} ms per attacking request`,
  );
  return { attackingAddresses: attackers.length, alone, underAttack };
}

/**
 * Logins under attack: five customers log in every 2 s, each from its own loopback
 * address, first alone, then while one address floods POST /auth/login at 120/s (a mix
 * of random and real usernames, wrong passwords); then both phases again with the flood
 * spread over 20 addresses. The customers' logins before the first phase make their
 * addresses known for their accounts, as a customer's usual device is.
 */
export async function loginUnderAttack(ctx: BenchContext): Promise<void> {
  const accounts: Account[] = [];
  for (let index = 0; index < customers; index += 1) {
    accounts.push(await ctx.api.newUser('customer', `127.0.10.${index + 1}`));
  }
  const oneAddress = await shape(ctx, accounts, ['127.0.20.1']);
  const twentyAddresses = await shape(
    ctx,
    accounts,
    Array.from({ length: 20 }, (_, index) => `127.0.30.${index + 1}`),
  );
  const facts: LoginUnderAttackFacts = { bcryptCost: ctx.system.authConfig.bcryptCost, oneAddress, twentyAddresses };
  ctx.facts.loginUnderAttack = facts;
}
