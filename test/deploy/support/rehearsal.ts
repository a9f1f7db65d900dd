import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { envPairs, parseDockerfile, type Dockerfile, type Stage, type Step } from './dockerfile';
import { DockerIgnore } from './dockerignore';
import { childEnv, type NodeRuntime } from './node-runtime';
import { repoPath } from './paths';

const run = promisify(execFile);

/**
 * Replays a Dockerfile's stages on this machine, which has no Docker engine: each stage is
 * a folder standing for its filesystem root; COPY copies from the build context (filtered
 * by .dockerignore) or from an earlier stage's folder; RUN steps that are npm or node
 * commands run literally under the Node release of the FROM image, built against its
 * headers. Other RUN steps (OS packages: the host provides python3, make and g++) are
 * recorded as skipped. A step sequence shared by two Dockerfiles is replayed once and
 * reused, as BuildKit reuses identical layers.
 */

export interface RehearsedImage {
  dockerfile: string;
  /** Folder standing for the final stage's `/`. */
  root: string;
  /** Absolute path (on this machine) of the final WORKDIR. */
  workdir: string;
  env: Record<string, string>;
  user: { uid: number; gid: number } | null;
  cmd: string[];
}

export interface RehearsalRecord {
  dockerfile: string;
  stage: string;
  command: string;
  outcome: 'replayed' | 'skipped' | 'reused';
  seconds: number;
}

interface StageState {
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | null;
}

const isNodeStep = (text: string) => /^(npm|node)\s/.test(text.trim());

export class Rehearsal {
  readonly records: RehearsalRecord[] = [];
  private readonly ignore = DockerIgnore.read(repoPath('.dockerignore'));
  private readonly layerSnapshots = new Map<string, string>();
  private readonly wantedLayers = new Map<string, number>();

  constructor(
    private readonly node: NodeRuntime,
    private readonly workDir: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Rehearses the Dockerfiles in order; returns their final stages. */
  async build(dockerfileNames: string[]): Promise<RehearsedImage[]> {
    const dockerfiles = dockerfileNames.map((name) => parseDockerfile(name));
    // Layers built by more than one stage are kept for reuse, like a build cache.
    for (const dockerfile of dockerfiles) {
      for (const keys of this.stageKeys(dockerfile).values()) {
        for (const key of keys) this.wantedLayers.set(key, (this.wantedLayers.get(key) ?? 0) + 1);
      }
    }
    const images: RehearsedImage[] = [];
    for (const dockerfile of dockerfiles) images.push(await this.buildOne(dockerfile));
    return images;
  }

  private async buildOne(dockerfile: Dockerfile): Promise<RehearsedImage> {
    const keysByStage = this.stageKeys(dockerfile);
    const states = new Map<Stage, StageState>();
    for (const [index, stage] of dockerfile.stages.entries()) {
      const label = stage.name ?? `stage ${index}`;
      const root = path.join(this.workDir, 'stages', `${dockerfile.file}-${index}`);
      const state: StageState = { root, workdir: '/', env: {}, user: null };
      const keys = keysByStage.get(stage)!;
      // Resume after the longest prefix already built by another Dockerfile.
      let start = 0;
      for (let i = keys.length - 1; i >= 0; i--) {
        const snapshot = this.layerSnapshots.get(keys[i]);
        if (snapshot) {
          await copyTree(snapshot, root);
          start = i + 1;
          break;
        }
      }
      mkdirSync(root, { recursive: true });
      for (const [i, step] of stage.steps.entries()) {
        if (i < start) {
          this.applyMetadata(state, step);
          if (step.keyword === 'RUN') this.record(dockerfile, label, step.text, 'reused', 0);
          continue;
        }
        await this.replay(dockerfile, label, state, step, states);
        if ((this.wantedLayers.get(keys[i]) ?? 0) > 1 && step.keyword === 'RUN' && !this.layerSnapshots.has(keys[i])) {
          const snapshot = path.join(this.workDir, 'layers', keys[i]);
          await copyTree(root, snapshot);
          this.layerSnapshots.set(keys[i], snapshot);
        }
      }
      states.set(stage, state);
    }
    const finalState = states.get(dockerfile.final)!;
    const cmd = dockerfile.final.steps.filter((s) => s.keyword === 'CMD').at(-1);
    if (!cmd?.json) throw new Error(`${dockerfile.file}: the final stage has no exec-form CMD`);
    const [uid, gid] = (finalState.user ?? '0').split(':').map(Number);
    return {
      dockerfile: dockerfile.file,
      root: finalState.root,
      workdir: path.join(finalState.root, finalState.workdir),
      env: finalState.env,
      user: finalState.user === null ? null : { uid, gid: Number.isNaN(gid) ? uid : gid },
      cmd: cmd.args,
    };
  }

  /** WORKDIR, ENV and USER change the stage's state only. */
  private applyMetadata(state: StageState, step: Step): void {
    if (step.keyword === 'WORKDIR') state.workdir = path.posix.resolve(state.workdir, step.args[0]);
    if (step.keyword === 'ENV') for (const [name, value] of envPairs(step)) state.env[name] = value;
    if (step.keyword === 'USER') state.user = step.args[0];
  }

  private async replay(
    dockerfile: Dockerfile,
    label: string,
    state: StageState,
    step: Step,
    states: Map<Stage, StageState>,
  ): Promise<void> {
    switch (step.keyword) {
      case 'WORKDIR':
      case 'ENV':
      case 'USER':
        this.applyMetadata(state, step);
        if (step.keyword === 'WORKDIR') mkdirSync(path.join(state.root, state.workdir), { recursive: true });
        return;
      case 'EXPOSE':
      case 'CMD':
      case 'LABEL':
        return;
      case 'COPY':
        return this.copy(dockerfile, state, step, states);
      case 'RUN':
        return this.runStep(dockerfile, label, state, step);
      default:
        throw new Error(
          `${dockerfile.file}:${step.line}: ${step.keyword} is not rehearsed; extend test/deploy/support/rehearsal.ts`,
        );
    }
  }

  private async runStep(dockerfile: Dockerfile, label: string, state: StageState, step: Step): Promise<void> {
    const command = step.json ? step.args.join(' ') : step.text.replace(/\s+/g, ' ').trim();
    if (!isNodeStep(command)) {
      this.record(dockerfile, label, command, 'skipped', 0);
      return;
    }
    const started = Date.now();
    this.log(`${dockerfile.file} [${label}] RUN ${command}`);
    const cwd = path.join(state.root, state.workdir);
    const env = childEnv({
      ...state.env,
      PATH: `${this.node.binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      // Native modules (better-sqlite3) build against the headers of this Node release.
      npm_config_nodedir: this.node.home,
      npm_config_update_notifier: 'false',
    });
    const [file, args] = step.json ? [step.args[0], step.args.slice(1)] : ['sh', ['-c', command]];
    try {
      await run(file, args, { cwd, env, maxBuffer: 256 * 1024 * 1024 });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; message: string };
      const output = `${failed.stdout ?? ''}\n${failed.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
      throw new Error(`${dockerfile.file}:${step.line} RUN ${command} failed: ${failed.message}\n${output}`, {
        cause: error,
      });
    }
    const seconds = (Date.now() - started) / 1000;
    this.log(`  done in ${seconds.toFixed(1)} s`);
    this.record(dockerfile, label, command, 'replayed', seconds);
  }

  private async copy(
    dockerfile: Dockerfile,
    state: StageState,
    step: Step,
    states: Map<Stage, StageState>,
  ): Promise<void> {
    const sources = step.args.slice(0, -1);
    const destination = path.posix.resolve(state.workdir, step.args.at(-1)!);
    const intoFolder = step.args.at(-1)!.endsWith('/') || sources.length > 1;
    const from = step.flags.from;
    const fromState = from ? [...states.entries()].find(([stage]) => stage.name === from)?.[1] : undefined;
    if (from && !fromState) throw new Error(`${dockerfile.file}:${step.line}: no earlier stage ${from}`);
    for (const source of sources) {
      if (/[*?[]/.test(source))
        throw new Error(`${dockerfile.file}:${step.line}: wildcards are not rehearsed (${source})`);
      const sourcePath = fromState
        ? path.join(fromState.root, path.posix.resolve(fromState.workdir, source))
        : repoPath(path.posix.normalize(source));
      const contextPath = path.posix.normalize(source).replace(/\/$/, '');
      if (!existsSync(sourcePath) || (!fromState && this.ignore.excludes(contextPath))) {
        throw new Error(
          `${dockerfile.file}:${step.line}: ${source} is not in the ${fromState ? `stage ${from}` : 'build context'}`,
        );
      }
      const isFolder = statSync(sourcePath).isDirectory();
      const target = path.join(
        state.root,
        isFolder || !intoFolder ? destination : path.posix.join(destination, path.basename(sourcePath)),
      );
      mkdirSync(isFolder ? target : path.dirname(target), { recursive: true });
      cpSync(sourcePath, target, {
        recursive: true,
        verbatimSymlinks: true,
        filter: fromState ? undefined : (file) => !this.ignore.excludes(path.relative(repoPath(), file)),
      });
    }
  }

  /** Cache keys of every step, chained from the FROM image: same key, same layer. */
  private stageKeys(dockerfile: Dockerfile): Map<Stage, string[]> {
    const result = new Map<Stage, string[]>();
    for (const stage of dockerfile.stages) {
      let key = hash(`FROM ${stage.image}`);
      const keys: string[] = [];
      for (const step of stage.steps) {
        let input = `${step.keyword} ${JSON.stringify(step.flags)} ${step.text}`;
        if (step.keyword === 'COPY') {
          const fromStage = dockerfile.stages.find((s) => s.name === step.flags.from);
          input += fromStage
            ? ` from ${result.get(fromStage)!.at(-1)}`
            : ` ${this.contextDigest(step.args.slice(0, -1))}`;
        }
        key = hash(`${key}\n${input}`);
        keys.push(key);
      }
      result.set(stage, keys);
    }
    return result;
  }

  private contextDigest(sources: string[]): string {
    const digest = createHash('sha256');
    const visit = (relative: string) => {
      if (this.ignore.excludes(relative)) return;
      const absolute = repoPath(relative);
      if (!existsSync(absolute)) return;
      if (statSync(absolute).isDirectory()) {
        for (const entry of readdirSync(absolute).sort()) visit(path.posix.join(relative, entry));
      } else {
        digest.update(`${relative}\0`).update(readFileSync(absolute)).update('\0');
      }
    };
    for (const source of sources) visit(path.posix.normalize(source).replace(/\/$/, ''));
    return digest.digest('hex');
  }

  private record(
    dockerfile: Dockerfile,
    stage: string,
    command: string,
    outcome: RehearsalRecord['outcome'],
    seconds: number,
  ) {
    this.records.push({ dockerfile: dockerfile.file, stage, command, outcome, seconds });
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** `cp -a`: much faster than a copy in JavaScript for a node_modules tree. */
async function copyTree(from: string, to: string): Promise<void> {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(path.dirname(to), { recursive: true });
  await run('cp', ['-a', from, to]);
}

/** A program started from a rehearsed image's CMD (or another command of that image). */
export interface RunningProgram {
  readonly name: string;
  output(): string;
  readonly exit: Promise<number | null>;
  /** Sends the signal and waits for the exit code (null: killed after the timeout). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/**
 * Starts `command` (default: the image's CMD) the way the container would: from WORKDIR,
 * with the image's ENV plus `env`, as the image's USER when this process may switch to it,
 * with the Node release of the image standing in for its `node`.
 */
export function startFromImage(
  image: RehearsedImage,
  node: NodeRuntime,
  name: string,
  env: Record<string, string>,
  command: string[] = image.cmd,
): RunningProgram {
  if (command[0] !== 'node') throw new Error(`${name}: only node commands are rehearsed (${command.join(' ')})`);
  const asImageUser = image.user !== null && process.getuid?.() === 0;
  const child = spawn(node.bin, command.slice(1), {
    cwd: image.workdir,
    // A container's environment: the image's ENV and what the deployment sets, nothing of this host.
    env: { PATH: `${node.binDir}:/usr/local/bin:/usr/bin:/bin`, HOME: '/nonexistent', ...image.env, ...env },
    uid: asImageUser ? image.user!.uid : undefined,
    gid: asImageUser ? image.user!.gid : undefined,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout.on('data', (data: Buffer) => chunks.push(data.toString()));
  child.stderr.on('data', (data: Buffer) => chunks.push(data.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    name,
    exit,
    output: () => chunks.join(''),
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
      const outcome = await Promise.race([exit, timer]);
      if (outcome !== 'timeout') return outcome;
      child.kill('SIGKILL');
      await exit;
      return null;
    },
  };
}
