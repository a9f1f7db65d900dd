import type { Measurement } from './measure';

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
