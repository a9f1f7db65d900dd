import type { Measurement } from './measure';
import type { AttackShapeFigures, LoginUnderAttackFacts, PhaseFigures } from './scenarios/login-under-attack';

export interface TargetCheck {
  scenario: string;
  target: string;
  measured: string;
  /** null when the scenario did not run in this invocation. */
  met: boolean | null;
}

export interface PurchaseCheck {
  created: number;
  keysCreated: number;
  keysWithSeveralOrders: number;
  missingOrMismatched: number;
  storedWithoutCreatedAnswer: number;
  storedUnanswered: number;
  serverErrors: number;
}

export interface MemoryFacts {
  roles: Record<string, { startMb: number; endMb: number; peakMb: number; growth: number }>;
}

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
const ms = (value: number) => `${value.toFixed(3)} ms`;

/** Judges a full run against the targets of the performance issue; ratios come from this run. */
export function checkTargets(results: Record<string, Measurement>, facts: Record<string, unknown>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const ceiling = results.ceiling?.okPerSec;
  const ratio = (name: string, min: number, of: string, base: number | undefined, label: string) => {
    const value = results[name]?.okPerSec;
    if (value === undefined || base === undefined) {
      checks.push({ scenario: name, target: `≥ ${pct(min)} of ${label}`, measured: 'not run', met: null });
      return;
    }
    checks.push({
      scenario: name,
      target: `≥ ${pct(min)} of ${label}`,
      measured: `${pct(value / base)} (${value.toFixed(0)} / ${base.toFixed(0)} req/s${of ? ` ${of}` : ''})`,
      met: value / base >= min,
    });
  };
  const limit = (
    name: string,
    target: string,
    value: number | undefined,
    max: number,
    format: (v: number) => string,
    strict = false,
  ) => {
    checks.push({
      scenario: name,
      target,
      measured: value === undefined ? 'not run' : format(value),
      met: value === undefined ? null : strict ? value < max : value <= max,
    });
  };

  ratio('getOrder', 0.22, '', ceiling, 'ceiling');
  limit('getOrder', 'p99 < 20 ms at 20 connections', results.getOrder?.p99Ms, 20, (v) => `${v} ms`, true);
  limit('getOrder', 'CPU per request, all processes ≤ 0.6 ms', results.getOrder?.systemCpuMsPerRequest, 0.6, ms);
  ratio('listOrders', 0.15, '', ceiling, 'ceiling');
  ratio('listOrdersLarge', 0.8, '', results.listOrders?.okPerSec, 'small-table list');
  ratio('adminListOrdersLarge', 0.8, '', results.adminListOrders?.okPerSec, 'small-table admin list');
  ratio('purchase', 0.15, '', ceiling, 'ceiling');
  const purchase = facts.purchaseCheck as PurchaseCheck | undefined;
  checks.push({
    scenario: 'purchase',
    target: 'zero 5xx; every 201 = exactly one stored order',
    measured: purchase
      ? `${purchase.serverErrors} 5xx; ${purchase.created} × 201 over ${purchase.keysCreated} keys, ${purchase.keysWithSeveralOrders} keys with several orders, ${purchase.missingOrMismatched} missing or mismatched, ${purchase.storedWithoutCreatedAnswer} stored after a failure answer`
      : 'not run',
    met: purchase
      ? purchase.serverErrors === 0 &&
        purchase.keysWithSeveralOrders === 0 &&
        purchase.missingOrMismatched === 0 &&
        purchase.storedWithoutCreatedAnswer === 0
      : null,
  });
  ratio('login', 0.9, 'logins vs raw bcrypt compares', results.bcryptRaw?.okPerSec, 'raw bcrypt-compare rate');
  const authCpuPerLogin = results.login?.cpuMsPerRequest.auth;
  const bcryptCpu = results.bcryptRaw?.cpuMsPerRequest.bench;
  limit(
    'login',
    'one bcrypt per login (auth CPU per login ÷ CPU per raw compare < 1.5)',
    authCpuPerLogin !== undefined && bcryptCpu !== undefined ? authCpuPerLogin / bcryptCpu : undefined,
    1.5,
    (v) => `${v.toFixed(2)} (${authCpuPerLogin?.toFixed(1)} ms vs ${bcryptCpu?.toFixed(1)} ms)`,
    true,
  );
  ratio('getOrderUnderLogins', 0.5, '', results.getOrder?.okPerSec, 'unloaded GET /orders/{id}');
  limit('validateToken', 'auth-service CPU per call ≤ 0.15 ms', results.validateToken?.cpuMsPerRequest.auth, 0.15, ms);
  checks.push(...loginUnderAttackChecks(facts.loginUnderAttack as LoginUnderAttackFacts | undefined));
  const memory = facts.memory as MemoryFacts | undefined;
  limit('memory', 'gateway RSS < 200 MB', memory?.roles.gateway?.peakMb, 200, (v) => `${v.toFixed(0)} MB peak`, true);
  limit('memory', 'auth-service RSS < 150 MB', memory?.roles.auth?.peakMb, 150, (v) => `${v.toFixed(0)} MB peak`, true);
  for (const role of ['gateway', 'auth']) {
    const facts = memory?.roles[role];
    limit(
      'memory',
      `${role} RSS growth < 10% over the mixed load`,
      facts?.growth,
      0.1,
      (v) => `${pct(v)} (${facts?.startMb.toFixed(0)} → ${facts?.endMb.toFixed(0)} MB)`,
      true,
    );
  }
  return checks;
}

const serverErrors = (statuses: Record<string, number>) =>
  Object.entries(statuses)
    .filter(([status]) => /^5\d\d/.test(status) || status === 'no answer')
    .reduce((sum, [, count]) => sum + count, 0);

function phaseSummary(phase: PhaseFigures): string {
  return `${(phase.customers.successRate * 100).toFixed(1)}% of ${phase.customers.sent}, p50 ${phase.customers.p50Ms.toFixed(0)} ms, p99 ${phase.customers.p99Ms.toFixed(0)} ms`;
}

/**
 * Logins under attack (issue targets at bcrypt cost 12, flood from one address): customers
 * ≥ 99% successful, no 5xx for anyone, customers' p99 ≤ max(1.5 × alone, alone + 500 ms),
 * the attacker's requests mostly (≥ 90%) 429. The flood from 20 addresses is reported
 * against the same yardsticks without a target.
 */
function loginUnderAttackChecks(facts: LoginUnderAttackFacts | undefined): TargetCheck[] {
  const scenario = 'loginUnderAttack';
  if (!facts)
    return [
      { scenario, target: 'customers ≥ 99% successful under a one-address flood', measured: 'not run', met: null },
    ];
  const judge = (shape: AttackShapeFigures, label: string, judged: boolean): TargetCheck[] => {
    const { alone, underAttack } = shape;
    const p99Bound = Math.max(1.5 * alone.customers.p99Ms, alone.customers.p99Ms + 500);
    const attacker = underAttack.attacker;
    const errors = serverErrors(underAttack.customers.statuses) + serverErrors(attacker?.statuses ?? {});
    const met = (ok: boolean) => (judged ? ok : null);
    return [
      {
        scenario,
        target: `${label}: customers ≥ 99% successful`,
        measured: `alone ${phaseSummary(alone)}; under attack ${phaseSummary(underAttack)}`,
        met: met(underAttack.customers.successRate >= 0.99),
      },
      {
        scenario,
        target: `${label}: no 5xx (nor unanswered request) for anyone`,
        measured: `${errors}`,
        met: met(errors === 0),
      },
      {
        scenario,
        target: `${label}: customers' p99 ≤ max(1.5 × alone, alone + 500 ms)`,
        measured: `${underAttack.customers.p99Ms.toFixed(0)} ms ≤ ${p99Bound.toFixed(0)} ms`,
        met: met(underAttack.customers.p99Ms <= p99Bound),
      },
      {
        scenario,
        target: `${label}: the attacker's requests mostly 429 (≥ 90%)`,
        measured: `${((attacker?.share429 ?? 0) * 100).toFixed(1)}% of ${attacker?.sent ?? 0} (${(attacker?.perSecond ?? 0).toFixed(0)}/s): ${JSON.stringify(attacker?.statuses ?? {})}; auth CPU ${(underAttack.authCpuMsPerAttackingRequest ?? 0).toFixed(3)} ms per attacking request`,
        met: met((attacker?.share429 ?? 0) >= 0.9),
      },
    ];
  };
  const judged = facts.bcryptCost === 12;
  return [
    ...judge(facts.oneAddress, `flood from 1 address, bcrypt cost ${facts.bcryptCost}`, judged),
    ...judge(facts.twentyAddresses, 'flood from 20 addresses (no target)', false),
  ];
}
