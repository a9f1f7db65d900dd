import { concurrently } from 'concurrently';
import { Transform } from 'node:stream';
import { prettyFactory } from 'pino-pretty';
import { repoRoot } from '../common/src/repo-root';
import { productionNodeFlags } from './node-flags';

/**
 * `npm start`: the auth service and the gateway as two processes talking gRPC, as in the
 * pod, on the embedded SQLite databases unless configured otherwise. The whole environment
 * (API_PORT, AUTH_GRPC_PORT, AUTH_GRPC_ADDRESS, ...) reaches both programs, so two copies
 * can run side by side.
 *
 * Supervised like the pod's containers, by concurrently: a program that dies is started
 * again after 1 s, 2 s, 4 s, ... while the other keeps running (without the auth service,
 * the gateway answers protected routes with 503 and public ones as usual). Ctrl-C or
 * SIGTERM stops both gracefully (exit 0). Logs are pino-pretty on a terminal and JSON
 * lines otherwise (the launcher's own lines too).
 */

const apiPort = process.env.API_PORT || '3000';
/** A program still running this long after the stop signal is killed. */
const stopTimeoutMs = 15_000;
const terminal = process.stdout.isTTY;

const prettify = terminal
  ? prettyFactory({ colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'hostname,service' })
  : undefined;

/** One output line: a program's JSON log line, or a line of the launcher's or concurrently's. */
function formatLine(line: string): string {
  if (line.startsWith('{')) {
    try {
      const entry: unknown = JSON.parse(line);
      return prettify ? prettify(entry) : `${line}\n`;
    } catch {
      // not a log line after all: shown as text
    }
  }
  if (prettify) return `${line}\n`;
  return `${JSON.stringify({ level: 30, time: new Date().toISOString(), name: 'npm-start', msg: line })}\n`;
}

/** Everything printed goes through here, whole lines at a time. */
let partialLine = '';
const output = new Transform({
  transform(chunk: Buffer, _encoding, done) {
    const lines = (partialLine + chunk.toString('utf8')).split('\n');
    partialLine = lines.pop() ?? '';
    done(null, lines.map(formatLine).join(''));
  },
  flush(done) {
    done(null, partialLine ? formatLine(partialLine) : '');
  },
});
output.pipe(process.stdout);

const node = [process.execPath, ...productionNodeFlags].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ');
const { commands, result } = concurrently(
  [
    { name: 'auth-service', command: `exec ${node} dist/auth-service/src/main.js`, cwd: repoRoot },
    { name: 'gateway', command: `exec ${node} dist/gateway/src/main.js`, cwd: repoRoot },
  ],
  {
    prefix: 'none',
    outputStream: output,
    restartTries: -1,
    restartDelay: 'exponential',
  },
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  // concurrently passes the signal on to both programs; this only bounds how long they take.
  process.on(signal, () => {
    stopping = true;
    setTimeout(() => {
      for (const command of commands) if (command.state === 'started') command.kill('SIGKILL');
    }, stopTimeoutMs).unref();
  });
}

/** Announces the docs once the gateway is ready (its database and the auth service both answer). */
async function announceWhenReady(): Promise<void> {
  const readyz = `http://127.0.0.1:${apiPort}/readyz`;
  while (!stopping) {
    try {
      if ((await fetch(readyz)).status === 200) {
        output.write(`Aletheia is ready. API docs: http://localhost:${apiPort}/docs  (Ctrl-C stops both programs)\n`);
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200).unref());
  }
}
if (apiPort !== '0') void announceWhenReady();

/** Exits once every line printed so far has reached stdout. */
function exit(code: number): void {
  output.on('end', () => process.exit(code));
  output.end();
}

result.then(
  () => exit(0),
  () => {
    output.write('A program did not stop cleanly.\n');
    exit(1);
  },
);
