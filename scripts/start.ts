import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { repoRoot } from '../common/src/repo-root';

/**
 * `npm start`: the auth service and the gateway as two processes talking gRPC, as in
 * production, on the embedded SQLite databases unless configured otherwise. The whole
 * environment (API_PORT, AUTH_GRPC_PORT, AUTH_GRPC_ADDRESS, ...) reaches both programs,
 * so two copies can run side by side. Ctrl-C or SIGTERM stops both gracefully (exit 0);
 * if one program dies, the other is stopped and the launcher exits non-zero.
 */

interface Program {
  name: string;
  script: string;
  color: number;
  child?: ChildProcess;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

const programs: Program[] = [
  { name: 'auth', script: 'dist/auth-service/src/main.js', color: 36 },
  { name: 'gateway', script: 'dist/gateway/src/main.js', color: 32 },
];
const apiPort = process.env.API_PORT || '3000';
/** Each program gets this long to stop gracefully before it is killed. */
const stopTimeoutMs = 15_000;
const colored = process.stdout.isTTY;

let stopping = false;
let stopRequested = false;

function label(program: Program): string {
  const name = program.name.padEnd(7);
  return colored ? `\x1b[${program.color}m[${name}]\x1b[0m` : `[${name}]`;
}

function announce(message: string): void {
  console.log(colored ? `\x1b[1m${message}\x1b[0m` : message);
}

function stopAll(): void {
  if (stopping) return;
  stopping = true;
  for (const program of programs) {
    if (program.child && !program.exit) program.child.kill('SIGTERM');
  }
  setTimeout(() => {
    for (const program of programs) {
      if (program.child && !program.exit) program.child.kill('SIGKILL');
    }
  }, stopTimeoutMs).unref();
}

function finishIfDone(): void {
  if (!programs.every((program) => program.exit)) return;
  const clean = programs.every((program) => program.exit?.code === 0);
  if (stopRequested && clean) process.exit(0);
  announce(
    stopRequested ? 'A program did not stop cleanly.' : 'A program stopped unexpectedly; the other was stopped too.',
  );
  process.exit(1);
}

function start(program: Program): void {
  // Its own process group: a Ctrl-C in the terminal reaches only this launcher, which
  // passes the stop on exactly once.
  const child = spawn(process.execPath, [program.script], {
    cwd: repoRoot,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  program.child = child;
  announce(`${program.name} started (pid ${child.pid})`);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${label(program)} ${line}\n`));
  }
  child.on('error', (error) => {
    announce(`${program.name} could not start: ${error.message}`);
    program.exit = { code: null, signal: null };
    stopAll();
    finishIfDone();
  });
  child.on('exit', (code, signal) => {
    program.exit = { code, signal };
    announce(`${program.name} exited (${signal ?? `code ${code}`})`);
    stopAll();
    finishIfDone();
  });
}

/** Announces the docs once the gateway is ready (its database and the auth service both answer). */
async function announceWhenReady(): Promise<void> {
  const readyz = `http://127.0.0.1:${apiPort}/readyz`;
  while (!stopping) {
    try {
      if ((await fetch(readyz)).status === 200) {
        announce(`\nAletheia is ready. API docs: http://localhost:${apiPort}/docs  (Ctrl-C stops both programs)\n`);
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200).unref());
  }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    stopRequested = true;
    stopAll();
  });
}
// Never leave the programs behind, whatever ends this process.
process.on('exit', () => {
  for (const program of programs) {
    if (program.child && !program.exit) program.child.kill('SIGKILL');
  }
});

programs.forEach(start);
if (apiPort !== '0') void announceWhenReady();
