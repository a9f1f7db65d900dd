import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The docker CLI, as an operator types it. The legacy builder is asked for by name: the
 * CLI here has no buildx, and its layer cache (intermediate images) is what a second run
 * reuses.
 */
const env = { ...process.env, DOCKER_BUILDKIT: '0' };

/** Runs `docker <args>` and returns its standard output; fails with its standard error. */
export async function docker(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('docker', args, { env, maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (error) {
    const failed = error as { stderr?: string; message: string };
    throw new Error(`docker ${args.join(' ')}: ${(failed.stderr ?? failed.message).trim()}`, { cause: error });
  }
}

/** `docker <args>`, true when it exits 0. */
export async function dockerSucceeds(args: string[]): Promise<boolean> {
  return docker(args).then(
    () => true,
    () => false,
  );
}

export interface BuildResult {
  /** Everything the build printed. */
  log: string;
  seconds: number;
}

/** `docker build`, its output kept (and shown line by line through `progress`). */
export function dockerBuild(args: string[], progress: (line: string) => void): Promise<BuildResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['build', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: string[] = [];
    let partial = '';
    const collect = (data: Buffer) => {
      const text = data.toString();
      chunks.push(text);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (/^Step \d+\/\d+ : /.test(line)) progress(line);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => {
      const log = chunks.join('');
      if (code === 0) resolve({ log, seconds: (performance.now() - started) / 1000 });
      else
        reject(new Error(`docker build ${args.join(' ')} exited ${code}:\n${log.split('\n').slice(-60).join('\n')}`));
    });
  });
}

/** The image's id, or null when there is no such image here. */
export async function imageId(reference: string): Promise<string | null> {
  return docker(['image', 'inspect', '--format', '{{.Id}}', reference]).catch(() => null);
}

export interface ContainerState {
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  pid: number;
}

export async function containerState(name: string): Promise<ContainerState> {
  const state = JSON.parse(await docker(['container', 'inspect', '--format', '{{json .State}}', name])) as {
    Running: boolean;
    ExitCode: number;
    OOMKilled: boolean;
    Pid: number;
  };
  return { running: state.Running, exitCode: state.ExitCode, oomKilled: state.OOMKilled, pid: state.Pid };
}

/** What the container printed (stdout and stderr). */
export async function containerLogs(name: string): Promise<string> {
  try {
    const { stdout, stderr } = await run('docker', ['logs', name], { env, maxBuffer: 64 * 1024 * 1024 });
    return `${stdout}${stderr}`;
  } catch (error) {
    return `(no logs: ${(error as Error).message})`;
  }
}

/** Every path of the image's filesystem, from `docker export` of a container never started. */
export async function imageFiles(image: string): Promise<string[]> {
  const container = await docker(['create', image]);
  try {
    const { stdout } = await run('sh', ['-c', `docker export ${container} | tar -t`], {
      env,
      maxBuffer: 256 * 1024 * 1024,
    });
    return stdout.split('\n').filter((line) => line !== '');
  } finally {
    await docker(['rm', container]);
  }
}
