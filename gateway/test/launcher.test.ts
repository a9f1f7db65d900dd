import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { freePort } from '../../common/test/ports';
import { repoRoot } from '../../common/src/repo-root';
import { productionNodeFlags } from '../../scripts/node-flags';

interface Launch {
  child: ChildProcess;
  apiPort: number;
  output: () => string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

const launcher = path.join(repoRoot, 'dist', 'scripts', 'start.js');

/**
 * `npm start` without the build step: the launcher with both programs on fresh SQLite files
 * and free ports; through `script` (a pseudo-terminal) when `terminal` is set.
 */
async function launch(dataDir: string, terminal = false): Promise<Launch> {
  const [apiPort, grpcPort] = [await freePort(), await freePort()];
  const [file, args] = terminal
    ? // exec: the launcher replaces script's shell, whichever $SHELL is (dash would stay as its parent)
      ['script', ['--quiet', '--return', '--command', `exec '${process.execPath}' '${launcher}'`, '/dev/null']]
    : [process.execPath, [launcher]];
  const child = spawn(file, args, {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      API_PORT: String(apiPort),
      AUTH_GRPC_PORT: String(grpcPort),
      ORDERS_DATABASE_URL: `sqlite:${path.join(dataDir, 'orders', 'orders.sqlite')}`,
      AUTH_DATABASE_URL: `sqlite:${path.join(dataDir, 'auth', 'auth.sqlite')}`,
      BCRYPT_COST: '4',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      listeners.forEach((listener) => listener());
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    apiPort,
    child,
    exited,
    output: () => text,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text);
          if (!match) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(match);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${pattern} in:\n${text}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

/** The pids of a process's children. */
function childPids(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
      .split(' ')
      .filter((child) => child.trim() !== '')
      .map(Number),
  );
}

/** A process's program and arguments (its cmdline ends with a NUL). */
function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
}

/** The pid of the launcher's child that is node running `script` (not a shell whose command names it). */
function programPid(launcherPid: number, script: string): number {
  const pid = childPids(launcherPid).find((child) => {
    const [program, ...args] = commandLine(child);
    return program === process.execPath && args.at(-1)?.endsWith(script) === true;
  });
  if (pid === undefined) throw new Error(`no child of ${launcherPid} runs ${script}`);
  return pid;
}

/** SIGKILLs a process and everything it started, so a failed test leaves no program behind. */
function killTree(pid: number): void {
  let descendants: number[];
  try {
    descendants = childPids(pid);
  } catch {
    return; // gone already
  }
  for (const child of descendants) killTree(child);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited meanwhile
  }
}

describe('npm start launcher', function () {
  this.timeout(120_000);
  let dataDir: string;
  let running: Launch | undefined;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'aletheia-start-'));
    mkdirSync(path.join(dataDir, 'auth'));
    mkdirSync(path.join(dataDir, 'orders'));
  });
  afterEach(() => {
    if (running && running.child.exitCode === null) killTree(running.child.pid!);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs both programs, logs JSON lines when not on a terminal, and stops both cleanly on SIGINT (exit 0)', async () => {
    const started = await launch(dataDir);
    running = started;
    await started.waitFor(new RegExp(`API docs: http://localhost:${started.apiPort}/docs`));
    expect((await fetch(`http://127.0.0.1:${started.apiPort}/readyz`)).status).to.equal(200);
    started.child.kill('SIGINT');
    expect(await started.exited, started.output()).to.equal(0);
    const lines = started.output().trimEnd().split('\n');
    const entries = lines.map((line) => JSON.parse(line) as { name: string; msg: string });
    expect(entries.map((entry) => entry.name)).to.include.members(['auth-service', 'gateway', 'npm-start']);
    const exits = entries.filter((entry) => entry.name === 'npm-start' && /exited with code/.test(entry.msg));
    expect(exits.map((entry) => entry.msg.replace(/^.* (dist\/\S+) /, '$1 '))).to.have.members([
      'dist/auth-service/src/main.js exited with code 0',
      'dist/gateway/src/main.js exited with code 0',
    ]);
  });

  it('keeps the gateway serving while the auth service is down, and starts the auth service again with backoff', async () => {
    const started = await launch(dataDir);
    running = started;
    const api = `http://127.0.0.1:${started.apiPort}`;
    await started.waitFor(/API docs:/);
    // A file where its database folder was: the auth service cannot start again until it is back.
    renameSync(path.join(dataDir, 'auth'), path.join(dataDir, 'auth-away'));
    writeFileSync(path.join(dataDir, 'auth'), '');
    const authPid = programPid(started.child.pid!, 'dist/auth-service/src/main.js');
    expect(commandLine(authPid).slice(1, -1), 'node flags, as in the images').to.deep.equal(productionNodeFlags);
    process.kill(authPid, 'SIGKILL');
    await started.waitFor(/auth-service\/src\/main\.js exited with code SIGKILL/);
    await started.waitFor(/(auth-service\/src\/main\.js restarted[\s\S]*){2}/);
    // As in the pod: public routes answer, protected ones are 503, the gateway is not ready.
    expect((await fetch(`${api}/products`)).status).to.equal(200);
    const orders = await fetch(`${api}/orders`, { headers: { authorization: 'Bearer not-checked-while-down' } });
    expect(orders.status).to.equal(503);
    expect((await fetch(`${api}/readyz`)).status).to.equal(503);

    rmSync(path.join(dataDir, 'auth'));
    renameSync(path.join(dataDir, 'auth-away'), path.join(dataDir, 'auth'));
    while ((await fetch(`${api}/readyz`)).status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(started.output()).to.not.match(/gateway\/src\/main\.js exited/);
    started.child.kill('SIGINT');
    expect(await started.exited, started.output()).to.equal(0);
  });

  it('logs human-readable lines (pino-pretty) on a terminal', async () => {
    const started = await launch(dataDir, true);
    running = started;
    await started.waitFor(/API docs:/);
    process.kill(programPid(started.child.pid!, 'dist/scripts/start.js'), 'SIGINT');
    expect(await started.exited, started.output()).to.equal(0);
    // eslint-disable-next-line no-control-regex
    const text = started.output().replace(/\x1b\[[0-9;]*m/g, '');
    expect(text).to.match(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(gateway\): gateway listening/m);
    expect(text).to.match(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(auth-service\): auth service listening/m);
    expect(text).to.not.match(/^\{"level"/m);
  });
});
