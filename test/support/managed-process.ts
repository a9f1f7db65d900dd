import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../common/src/repo-root';
import { acceptsConnections } from '../../common/src/tcp';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A program running as a child process from dist/ (for the benchmark and the resilience
 * campaign), its output kept in a log file and its last lines in memory, so a failure can
 * show what the program said.
 */
export class ManagedProcess {
  private readonly child: ChildProcess;
  private readonly log: WriteStream;
  private readonly tail: string[] = [];
  readonly exited: Promise<ExitStatus>;
  exitStatus?: ExitStatus;

  constructor(
    readonly name: string,
    script: string,
    env: NodeJS.ProcessEnv,
    logFile: string,
    nodeArgs: string[] = [],
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
    this.child = spawn(process.execPath, [...nodeArgs, path.join(repoRoot, script)], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.log.write(chunk);
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.tail.push(line);
        if (this.tail.length > 200) this.tail.shift();
      }
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
    void this.exited.finally(() => this.log.end());
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} has no pid (it failed to spawn)`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** The last lines the program printed (stdout and stderr). */
  recentOutput(lines = 40): string {
    return this.tail.slice(-lines).join('\n');
  }

  /** Every line printed so far that is still in memory. */
  output(): string[] {
    return [...this.tail];
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Sends the signal and waits for the exit, SIGKILLing after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<ExitStatus> {
    if (!this.running) return this.exitStatus as ExitStatus;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when something accepts TCP connections on the loopback port. */
export function portAccepts(port: number, timeoutMs = 500): Promise<boolean> {
  return acceptsConnections({ host: '127.0.0.1', port }, timeoutMs);
}

/** Polls `check` until it returns true, failing with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; process?: ManagedProcess } = {},
): Promise<number> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 30_000;
  for (;;) {
    if (options.process && !options.process.running) {
      throw new Error(
        `${options.process.name} exited (${JSON.stringify(options.process.exitStatus)}) while waiting for ${what}:\n${options.process.recentOutput()}`,
      );
    }
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) {
      const output = options.process ? `\n${options.process.recentOutput()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${output}`);
    }
    await sleep(options.intervalMs ?? 50);
  }
}
