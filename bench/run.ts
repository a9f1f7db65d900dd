import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../common/src/repo-root';
import { productionNodeFlags } from '../scripts/node-flags';
import { Api } from './src/api';
import type { BenchContext } from './src/context';
import { benchDatabases, connect, serverVersion } from './src/databases';
import { seedLargeTable } from './src/orders-data';
import { parseArgs } from './src/profile';
import { checkTargets } from './src/targets';
import { writeReport, type BenchReport, type Environment } from './src/report';
import { adminListOrdersLarge, listOrdersLarge } from './src/scenarios/large-table';
import { getOrderUnderLogins, login, validateToken } from './src/scenarios/auth';
import { ceiling } from './src/scenarios/ceiling';
import { loginUnderAttack } from './src/scenarios/login-under-attack';
import { memory, mixed } from './src/scenarios/mixed';
import { adminListOrders, getOrder, listOrders } from './src/scenarios/reads';
import { createUsers } from './src/scenarios/setup';
import { purchase } from './src/scenarios/writes';
import { BenchSystem } from './src/system';

// `npm run bench` (full run) or `npm run bench -- --smoke` (every scenario, briefly).
// Starts the ceiling server, the auth-service and the gateway (production build and
// settings, MariaDB), runs the scenarios in an order that keeps the small-table lists
// ahead of the large-table seed, and writes JSON + markdown under bench/results/.

interface Scenario {
  name: string;
  run: (ctx: BenchContext) => Promise<void>;
}

const scenarios: Scenario[] = [
  { name: 'ceiling', run: ceiling },
  { name: 'getOrder', run: (ctx) => getOrder(ctx) },
  { name: 'listOrders', run: listOrders },
  { name: 'adminListOrders', run: adminListOrders },
  { name: 'validateToken', run: validateToken },
  { name: 'login', run: login },
  { name: 'getOrderUnderLogins', run: getOrderUnderLogins },
  { name: 'loginUnderAttack', run: loginUnderAttack },
  { name: 'listOrdersLarge', run: listOrdersLarge },
  { name: 'adminListOrdersLarge', run: adminListOrdersLarge },
  { name: 'purchase', run: purchase },
  { name: 'mixed', run: mixed },
  { name: 'memory', run: memory },
];

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const { profile } = options;
  const selected = scenarios.filter((scenario) => options.only === null || options.only.includes(scenario.name));
  if (options.only !== null) {
    const unknown = options.only.filter((name) => !scenarios.some((scenario) => scenario.name === name));
    if (unknown.length > 0) throw new Error(`unknown scenarios: ${unknown.join(', ')}`);
  }
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const runDir = path.join(repoRoot, 'bench', 'results', 'runs.tmp', `${profile.mode}-${stamp}`);
  const nodeArgs = [
    ...productionNodeFlags,
    ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(repoRoot, options.cpuProfDir)}`] : []),
  ];
  log(`${profile.mode} run; programs' logs in ${runDir}`);
  const system = await BenchSystem.start({
    logDir: runDir,
    bcryptCost: options.bcryptCost ?? profile.bcryptCost,
    env: options.env,
    nodeArgs,
    keepDatabases: options.keepDatabases,
  });
  const api = new Api(system.apiUrl);
  const ordersDb = connect(benchDatabases.orders);
  const results: BenchContext['results'] = {};
  const facts: BenchContext['facts'] = {};
  const environment: Environment = {
    startedAt: startedAt.toISOString(),
    mode: profile.mode,
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    commit: commit(),
    node: process.version,
    nodeFlags: productionNodeFlags,
    mariadb: await serverVersion(ordersDb),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    loadAverageAtStart: os.loadavg(),
    bcryptCost: system.authConfig.bcryptCost,
    bcryptMaxConcurrency: system.authConfig.bcryptMaxConcurrency,
    connections: profile.connections,
    warmupSeconds: profile.warmupSeconds,
    runs: profile.runs,
    runSeconds: profile.runSeconds,
    largeTableInvoices: profile.largeTableInvoices,
    env: options.env,
  };
  const failures: string[] = [];
  try {
    const ctx: BenchContext = {
      profile,
      system,
      api,
      ordersDb,
      admin: await api.login(system.admin.username, system.admin.password),
      ...(await createUsers(api, profile)),
      results,
      facts,
      log,
    };
    for (const scenario of selected) {
      try {
        if (scenario.name === 'listOrdersLarge' || scenario.name === 'adminListOrdersLarge') {
          ctx.facts.largeTable ??= await seedLargeTable(ctx);
        }
        await scenario.run(ctx);
      } catch (error) {
        failures.push(`${scenario.name}: ${(error as Error).message}`);
        log(`FAILED ${scenario.name}: ${(error as Error).stack}`);
        system.assertRunning();
      }
    }
  } catch (error) {
    failures.push(`setup: ${(error as Error).message}`);
    log(`FAILED: ${(error as Error).stack}`);
  } finally {
    await ordersDb.destroy();
    await system.stop();
  }
  environment.finishedAt = new Date().toISOString();
  const report: BenchReport = {
    environment,
    results,
    facts,
    targets: checkTargets(results, facts),
    failures,
  };
  const folders = [runDir];
  // A complete full run is the representative result that gets committed.
  if (profile.mode === 'full' && options.only === null) folders.push(path.join(repoRoot, 'bench', 'results'));
  if (options.outDir) folders.push(path.resolve(options.outDir));
  for (const file of writeReport(report, folders, profile.mode)) log(`wrote ${path.relative(repoRoot, file)}`);
  const unmet = report.targets.filter((check) => check.met === false);
  for (const check of report.targets) {
    log(
      `${check.met === null ? '  -  ' : check.met ? ' ok  ' : ' MISS'} ${check.scenario}: ${check.target}: ${check.measured}`,
    );
  }
  if (failures.length > 0) return 1;
  // Smoke runs prove that every scenario still runs; only full runs are judged.
  return profile.mode === 'full' && unmet.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`benchmark failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
