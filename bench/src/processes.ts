import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { repoRoot } from '../../common/src/repo-root';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A program of the system (or the ceiling server) running as a child process from
 * dist/, its output kept in a log file and its last lines in memory for error messages.
 */
export class BenchProcess {
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
        if (this.tail.length > 100) this.tail.shift();
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

  recentOutput(lines = 30): string {
    return this.tail.slice(-lines).join('\n');
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<ExitStatus> {
    if (!this.running) return this.exitStatus as ExitStatus;
    this.child.kill('SIGTERM');
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
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}

/** Polls `check` until true; fails early when the process it waits for has exited. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs?: number; process?: BenchProcess } = {},
): Promise<void> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 60_000;
  for (;;) {
    if (options.process && !options.process.running) {
      throw new Error(
        `${options.process.name} exited (${JSON.stringify(options.process.exitStatus)}) before ${what}:\n${options.process.recentOutput()}`,
      );
    }
    if (await check()) return;
    if (performance.now() - started > timeoutMs) {
      const output = options.process ? `\n${options.process.recentOutput()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${output}`);
    }
    await sleep(100);
  }
}
