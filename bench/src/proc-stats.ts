import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time a process (all its threads), or one of its threads, has used so far, in ms. */
export function cpuTimeMs(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond;
}

/** CPU time the whole machine spent busy (every core, every process, the kernel), in ms. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  // cpu user nice system idle iowait irq softirq steal guest guest_nice
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / ticksPerSecond;
}

/** Resident set size in MB (VmRSS of /proc/<pid>/status). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : 0;
}

/** The MariaDB server's pid, so its CPU counts as the database's share. */
export function mariadbPid(): number | undefined {
  for (const name of ['mariadbd', 'mysqld']) {
    try {
      const pid = Number(execFileSync('pidof', ['-s', name], { encoding: 'utf8' }).trim());
      if (pid > 0) return pid;
    } catch {
      // not running under that name
    }
  }
  return undefined;
}

/** The processes whose CPU and memory each measurement reports, by role. */
export type Watched = Record<string, number>;

export type CpuSnapshot = Record<string, number>;

/** CPU time of every watched process, and of the whole machine under `machine`. */
export function cpuSnapshot(watched: Watched): CpuSnapshot {
  const snapshot: CpuSnapshot = { machine: machineBusyMs() };
  for (const [role, pid] of Object.entries(watched)) {
    try {
      snapshot[role] = cpuTimeMs(pid);
    } catch {
      snapshot[role] = Number.NaN;
    }
  }
  return snapshot;
}

export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  return Object.fromEntries(Object.keys(before).map((role) => [role, after[role] - before[role]]));
}

/**
 * Samples every watched process's RSS once a second while a measurement runs, keeping
 * the peak and the last value.
 */
export class RssSampler {
  readonly peak: Record<string, number> = {};
  readonly last: Record<string, number> = {};
  readonly series: Array<{ atMs: number; rss: Record<string, number> }> = [];
  private readonly timer: NodeJS.Timeout;
  private readonly started = performance.now();

  constructor(
    private readonly watched: Watched,
    intervalMs = 1000,
    private readonly keepSeries = false,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const rss: Record<string, number> = {};
    for (const [role, pid] of Object.entries(this.watched)) {
      try {
        rss[role] = rssMb(pid);
      } catch {
        continue;
      }
      this.last[role] = rss[role];
      this.peak[role] = Math.max(this.peak[role] ?? 0, rss[role]);
    }
    if (this.keepSeries) this.series.push({ atMs: Math.round(performance.now() - this.started), rss });
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}
