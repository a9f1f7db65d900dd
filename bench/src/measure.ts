import { DatabaseThreads } from './db-threads';
import { cpuDelta, cpuSnapshot, RssSampler, type Watched } from './proc-stats';

/** What one load run produced, whatever drove it (autocannon, a gRPC loop, a bcrypt loop). */
export interface LoadOutcome {
  /** Completed operations (any status). */
  completed: number;
  /** Completed with a success status (2xx, gRPC OK, bcrypt returned). */
  succeeded: number;
  durationSeconds: number;
  p50Ms: number;
  p99Ms: number;
  /** Count per status (HTTP code, gRPC code name, ...). */
  statuses: Record<string, number>;
  /** Connection errors and timeouts. */
  errors: number;
}

export interface RunResult extends LoadOutcome {
  reqPerSec: number;
  okPerSec: number;
  cpuMs: Record<string, number>;
  /**
   * Cores' worth of CPU spent by everything else on the machine during the run (busy
   * time of the machine minus the watched processes): other work competing with the
   * benchmark. Near zero on a quiet machine.
   */
  otherCores: number;
}

export interface Measurement {
  name: string;
  runs: RunResult[];
  /** Medians over the measured runs: all completed operations, and the successful ones. */
  reqPerSec: number;
  okPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Totals over the measured runs. */
  completed: number;
  succeeded: number;
  non2xx: number;
  errors: number;
  statuses: Record<string, number>;
  /** CPU time per completed operation, per process role, over all measured runs. */
  cpuMsPerRequest: Record<string, number>;
  /** Sum of cpuMsPerRequest over the roles that make up the system under test. */
  systemCpuMsPerRequest: number;
  /** Peak RSS per process role during the measured runs. */
  peakRssMb: Record<string, number>;
  /** Median over the runs of the CPU other work took meanwhile, in cores (see RunResult). */
  otherCores: number;
}

export interface MeasureOptions {
  name: string;
  watched: Watched;
  /** Roles whose CPU is the system's cost (the loader and the ceiling are not). */
  systemRoles: string[];
  /** When given, role `db` is the CPU of the database threads serving the benchmark's connections. */
  dbThreads?: DatabaseThreads;
  warmupSeconds: number;
  runs: number;
  runSeconds: number;
  /** Drives the load for `seconds`; `measured` is false during the warm-up. */
  load: (seconds: number, measured: boolean) => Promise<LoadOutcome>;
  log?: (line: string) => void;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The value below which `fraction` of the sorted samples fall. */
export function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

export function isSuccessStatus(status: string): boolean {
  return /^2\d\d$/.test(status) || status === 'OK';
}

/**
 * Warm-up, then `runs` measured runs; CPU time of every watched process is read just
 * before and after each measured run, RSS once a second throughout.
 */
export async function measure(options: MeasureOptions): Promise<Measurement> {
  const log = options.log ?? (() => undefined);
  if (options.warmupSeconds > 0) {
    const warm = await options.load(options.warmupSeconds, false);
    log(`  ${options.name}: warm-up ${warm.completed} ops, ${warm.succeeded} ok`);
  }
  const rss = new RssSampler(options.watched);
  const runs: RunResult[] = [];
  try {
    for (let run = 0; run < options.runs; run += 1) {
      const threadsBefore = await options.dbThreads?.snapshot();
      const before = cpuSnapshot(options.watched);
      const outcome = await options.load(options.runSeconds, true);
      const cpuMs = cpuDelta(before, cpuSnapshot(options.watched));
      const threadsAfter = await options.dbThreads?.snapshot();
      if (threadsBefore && threadsAfter) cpuMs.db = DatabaseThreads.used(threadsBefore, threadsAfter);
      const watchedMs = Object.keys(options.watched).reduce((sum, role) => sum + (cpuMs[role] ?? 0), 0);
      const result: RunResult = {
        ...outcome,
        reqPerSec: outcome.completed / outcome.durationSeconds,
        okPerSec: outcome.succeeded / outcome.durationSeconds,
        cpuMs,
        otherCores: Math.max(0, cpuMs.machine - watchedMs) / 1000 / outcome.durationSeconds,
      };
      runs.push(result);
      log(
        `  ${options.name}: run ${run + 1}/${options.runs} ${result.reqPerSec.toFixed(0)} ops/s, p50 ${outcome.p50Ms} ms, p99 ${outcome.p99Ms} ms, ${outcome.completed - outcome.succeeded} failed, other load ${result.otherCores.toFixed(2)} cores`,
      );
    }
  } finally {
    rss.stop();
  }
  return summarise(options, runs, rss.peak);
}

function summarise(options: MeasureOptions, runs: RunResult[], peakRssMb: Record<string, number>): Measurement {
  const completed = runs.reduce((sum, run) => sum + run.completed, 0);
  const succeeded = runs.reduce((sum, run) => sum + run.succeeded, 0);
  const statuses: Record<string, number> = {};
  for (const run of runs) {
    for (const [status, count] of Object.entries(run.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
  }
  const cpuMsPerRequest: Record<string, number> = {};
  for (const role of new Set([...Object.keys(options.watched), ...(options.dbThreads ? ['db'] : [])])) {
    const total = runs.reduce((sum, run) => sum + (run.cpuMs[role] ?? 0), 0);
    cpuMsPerRequest[role] = completed > 0 ? total / completed : Number.NaN;
  }
  return {
    name: options.name,
    runs,
    reqPerSec: median(runs.map((run) => run.reqPerSec)),
    okPerSec: median(runs.map((run) => run.okPerSec)),
    p50Ms: median(runs.map((run) => run.p50Ms)),
    p99Ms: median(runs.map((run) => run.p99Ms)),
    completed,
    succeeded,
    non2xx: completed - succeeded,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    statuses,
    cpuMsPerRequest,
    systemCpuMsPerRequest: options.systemRoles.reduce((sum, role) => sum + (cpuMsPerRequest[role] ?? 0), 0),
    peakRssMb,
    otherCores: median(runs.map((run) => run.otherCores)),
  };
}
