import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { freePort } from '../../common/test/ports';
import { repoRoot } from '../../common/src/repo-root';

interface Launch {
  child: ChildProcess;
  output: () => string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/** `npm start` without the build step: the launcher with both programs on fresh SQLite files and free ports. */
async function launch(dataDir: string): Promise<Launch & { apiPort: number }> {
  const [apiPort, grpcPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'scripts', 'start.js')], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      API_PORT: String(apiPort),
      AUTH_GRPC_PORT: String(grpcPort),
      ORDERS_DATABASE_URL: `sqlite:${path.join(dataDir, 'orders.sqlite')}`,
      AUTH_DATABASE_URL: `sqlite:${path.join(dataDir, 'auth.sqlite')}`,
      BCRYPT_COST: '4',
      LOG_LEVEL: 'warn',
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
    waitFor(pattern, timeoutMs = 20_000) {
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

describe('npm start launcher', function () {
  this.timeout(60_000);
  let dataDir: string;
  let running: Launch | undefined;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'aletheia-start-'));
  });
  afterEach(() => {
    if (running && running.child.exitCode === null) running.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs both programs, prints the docs URL, and stops both cleanly on SIGINT (exit 0)', async () => {
    const started = await launch(dataDir);
    running = started;
    await started.waitFor(new RegExp(`API docs: http://localhost:${started.apiPort}/docs`));
    const ready = await fetch(`http://127.0.0.1:${started.apiPort}/readyz`);
    expect(ready.status).to.equal(200);
    started.child.kill('SIGINT');
    expect(await started.exited).to.equal(0);
    expect(started.output())
      .to.match(/auth exited \(code 0\)/)
      .and.match(/gateway exited \(code 0\)/);
  });

  it('stops the other program and exits non-zero when one dies', async () => {
    const started = await launch(dataDir);
    running = started;
    const [, authPid] = await started.waitFor(/auth started \(pid (\d+)\)/);
    await started.waitFor(/API docs:/);
    process.kill(Number(authPid), 'SIGKILL');
    expect(await started.exited).to.equal(1);
    expect(started.output())
      .to.match(/auth exited \(SIGKILL\)/)
      .and.match(/gateway exited \(code 0\)/);
  });
});
