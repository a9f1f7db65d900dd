import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Measurement } from './measure';
import type { TargetCheck } from './targets';

export interface Environment {
  startedAt: string;
  finishedAt?: string;
  mode: string;
  command: string;
  commit: string;
  node: string;
  /** Node flags both programs ran with (scripts/node-flags.ts, as in the images). */
  nodeFlags: string[];
  mariadb: string;
  cpu: string;
  cores: number;
  loadAverageAtStart: number[];
  bcryptCost: number;
  bcryptMaxConcurrency: number;
  connections: number;
  warmupSeconds: number;
  runs: number;
  runSeconds: number;
  largeTableInvoices: number;
  env: NodeJS.ProcessEnv;
}

export interface BenchReport {
  environment: Environment;
  results: Record<string, Measurement>;
  facts: Record<string, unknown>;
  targets: TargetCheck[];
  failures: string[];
}

/** What each scenario is, in the order the table lists them. */
export const scenarioTitles: Record<string, string> = {
  ceiling: 'ceiling: bare Express, Order-shaped JSON',
  getOrder: 'GET /orders/{id}',
  listOrders: 'GET /orders?limit=10 (user with 50 orders)',
  adminListOrders: 'ADMIN GET /orders?date=…&limit=10',
  validateToken: 'gRPC ValidateToken (bench → auth)',
  bcryptRaw: 'raw bcrypt compare (bench process)',
  login: 'POST /auth/login',
  getOrderUnderLogins: 'GET /orders/{id} while logins saturate',
  listOrdersLarge: 'GET /orders?limit=10, large table (user with 10,000)',
  adminListOrdersLarge: 'ADMIN GET /orders?date=…&limit=10, large table',
  purchase: 'POST /orders/purchase (Idempotency-Key)',
  mixed: 'mixed: 80% reads, 15% creates, 5% status',
  memory: 'mixed load for the memory check',
};

/** A figure with `digits` decimals, or a dash where there is none. */
export const fixed = (value: number | undefined, digits: number) =>
  value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);

export function markdown(report: BenchReport): string {
  const { environment: env, results } = report;
  const ceiling = results.ceiling?.okPerSec;
  const lines: string[] = [];
  lines.push(`# Aletheia benchmark (${env.mode})`, '');
  lines.push(
    `\`${env.command}\` on ${env.startedAt} — commit ${env.commit}, Node ${env.node}${env.nodeFlags.map((flag) => ` ${flag}`).join('')}, MariaDB ${env.mariadb}, ${env.cores} × ${env.cpu}, load average at start ${env.loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')}.`,
    '',
    `autocannon, ${env.connections} connections, ${env.warmupSeconds} s warm-up, median of ${env.runs} × ${env.runSeconds} s. bcrypt cost ${env.bcryptCost}, at most ${env.bcryptMaxConcurrency} at once. Large table: ${env.largeTableInvoices.toLocaleString('en-US')} invoices. CPU is user + system time from /proc divided by completed requests: per process, and for db the MariaDB threads serving the benchmark's connections (the server is shared; db server is the whole mariadbd process, background threads and other clients included), total = gateway + auth + db; RSS is the peak during the measured runs; other load is the CPU (in cores) everything else on the machine used meanwhile.`,
    '',
  );
  lines.push(
    '| scenario | req/s | % ceiling | p50 ms | p99 ms | non-2xx | CPU ms/req gateway | auth | db | total | db server | RSS MB gateway | auth | other load |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const [name, title] of Object.entries(scenarioTitles)) {
    const m = results[name];
    if (!m) continue;
    const cpu = m.cpuMsPerRequest;
    const own = name === 'ceiling' ? cpu.ceiling : name === 'bcryptRaw' ? cpu.bench : undefined;
    lines.push(
      `| ${title} | ${fixed(m.okPerSec, 0)} | ${ceiling ? fixed((m.okPerSec / ceiling) * 100, 1) : '–'} | ${fixed(m.p50Ms, 2)} | ${fixed(m.p99Ms, 2)} | ${m.non2xx} | ${fixed(cpu.gateway, 3)} | ${fixed(cpu.auth, 3)} | ${fixed(cpu.db, 3)} | ${fixed(own ?? m.systemCpuMsPerRequest, 3)} | ${fixed(cpu.dbServer, 3)} | ${fixed(m.peakRssMb.gateway, 0)} | ${fixed(m.peakRssMb.auth, 0)} | ${fixed(m.otherCores, 2)} |`,
    );
  }
  lines.push('', '## Targets', '', '| scenario | target | measured | met |', '| --- | --- | --- | --- |');
  for (const check of report.targets) {
    lines.push(
      `| ${check.scenario} | ${check.target} | ${check.measured} | ${check.met === null ? '–' : check.met ? 'yes' : '**no**'} |`,
    );
  }
  if (report.failures.length > 0) {
    lines.push('', '## Scenarios that could not run', '');
    for (const failure of report.failures) lines.push(`- ${failure}`);
  }
  lines.push('');
  return lines.join('\n');
}

/** Writes `<name>.json` and `<name>.md` into each folder; returns the paths written. */
export function writeReport(report: BenchReport, folders: string[], name: string): string[] {
  const written: string[] = [];
  for (const folder of folders) {
    mkdirSync(folder, { recursive: true });
    const json = path.join(folder, `${name}.json`);
    const md = path.join(folder, `${name}.md`);
    writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(md, markdown(report));
    written.push(json, md);
  }
  return written;
}
