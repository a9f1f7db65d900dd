import { readdirSync } from 'node:fs';
import type { Knex } from 'knex';
import { cpuTimeMs } from './proc-stats';

interface ThreadsSnapshot {
  /** CPU time of every thread of the server, by Linux thread id. */
  cpuMs: Map<number, number>;
  /** Threads serving a connection to one of the benchmark's databases. */
  ours: Set<number>;
}

/**
 * The MariaDB server is shared with whatever else runs on the machine (other test suites,
 * for instance), so its whole CPU time would not be the benchmark's. MariaDB runs one
 * thread per connection and names each connection's thread (PROCESSLIST.TID): the
 * database's share is the CPU of the threads serving connections to the benchmark's
 * databases. Background threads (page cleaner, purge) are left out; their whole-server
 * figure is reported beside it.
 */
export class DatabaseThreads {
  constructor(
    private readonly serverPid: number,
    /** A connection to the server that uses none of the benchmark's databases itself. */
    private readonly admin: Knex,
    private readonly databases: string[],
  ) {}

  async snapshot(): Promise<ThreadsSnapshot> {
    const [rows] = (await this.admin.raw(
      `select TID as tid from information_schema.PROCESSLIST where DB in (${this.databases.map(() => '?').join(', ')})`,
      this.databases,
    )) as [Array<{ tid: number | string }>];
    const cpuMs = new Map<number, number>();
    for (const entry of readdirSync(`/proc/${this.serverPid}/task`)) {
      try {
        cpuMs.set(Number(entry), cpuTimeMs(this.serverPid, Number(entry)));
      } catch {
        // the thread ended meanwhile
      }
    }
    return { cpuMs, ours: new Set(rows.map((row) => Number(row.tid))) };
  }

  /** CPU the benchmark's connections used between two snapshots, in ms. */
  static used(before: ThreadsSnapshot, after: ThreadsSnapshot): number {
    let total = 0;
    for (const tid of new Set([...before.ours, ...after.ours])) {
      const end = after.cpuMs.get(tid) ?? before.cpuMs.get(tid) ?? 0;
      total += end - (before.cpuMs.get(tid) ?? 0);
    }
    return total;
  }
}
