import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { DatabaseConfig } from '../../../common/src/config';
import { repoRoot } from '../../../common/src/repo-root';

/** The URL form of a test database, for programs configured through the environment. */
export function databaseUrl(config: DatabaseConfig): string {
  if (config.client === 'sqlite') return `sqlite:${config.filename}`;
  const credentials = config.password
    ? `${encodeURIComponent(config.user)}:${encodeURIComponent(config.password)}`
    : encodeURIComponent(config.user);
  const hosts = config.hosts.map((server) => `${server.host}:${server.port}`).join(',');
  return `mysql://${credentials}@${hosts}/${config.database}`;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a compiled program (path relative to dist/) with only the given environment (plus PATH). */
export function startProgram(script: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [path.join(repoRoot, 'dist', script), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs a program to completion, writing `input` to its stdin. */
export function runProgram(script: string, args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<Finished> {
  const child = startProgram(script, args, env);
  const result = finished(child);
  child.stdin?.end(input);
  return result;
}

/** Resolves once the child has written a line containing `text` to stdout. */
export function outputLine(child: ChildProcess, text: string, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${timeoutMs} ms: ${buffered}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n').find((candidate) => candidate.includes(text));
      if (line !== undefined) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(line);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before "${text}": ${buffered}`)));
  });
}
