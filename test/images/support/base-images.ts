import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseDockerfile } from '../../deploy/support/dockerfile';
import { repoPath } from '../../deploy/support/paths';
import { docker, dockerSucceeds, imageId } from './docker';

const run = promisify(execFile);

export interface BaseImages {
  /** `--build-arg` pairs for both Dockerfiles (none: their defaults, the official image). */
  buildArgs: string[];
  /** The final stage's base. */
  runtimeImage: string;
  /** Which images the build stands on, and how they came here. */
  description: string;
  seconds: number;
}

/**
 * The CA bundle the machine's npm trusts beyond Node's own, for a build behind a
 * TLS-inspecting proxy: NODE_EXTRA_CA_CERTS, else npm's `cafile`.
 */
async function hostCaBundle(): Promise<string | null> {
  if (process.env.NODE_EXTRA_CA_CERTS) return process.env.NODE_EXTRA_CA_CERTS;
  const { stdout } = await run('npm', ['config', 'get', 'cafile']);
  const cafile = stdout.trim();
  return cafile === '' || cafile === 'null' || cafile === 'undefined' ? null : cafile;
}

/**
 * The base images of the build: the official Node image the Dockerfiles name when it is
 * here or can be pulled; otherwise the pair scripts/node-base-image.sh makes from Debian's
 * mirror and the npm registry (made once, then kept).
 */
export async function baseImages(log: (line: string) => void): Promise<BaseImages> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const official = parseDockerfile('Dockerfile.gateway').args.NODE_IMAGE;
  if ((await imageId(official)) !== null || (await dockerSucceeds(['pull', official]))) {
    return { buildArgs: [], runtimeImage: official, description: `the official ${official}`, seconds: seconds() };
  }
  const nodeVersion = readFileSync(repoPath('.node-version'), 'utf8').trim();
  const build = `aletheia/node:${nodeVersion}-bookworm-build`;
  const runtime = `aletheia/node:${nodeVersion}-bookworm-runtime`;
  const buildArgs = ['--build-arg', `NODE_IMAGE=${build}`, '--build-arg', `RUNTIME_IMAGE=${runtime}`];
  if ((await imageId(build)) !== null && (await imageId(runtime)) !== null) {
    return {
      buildArgs,
      runtimeImage: runtime,
      description: `${build} and ${runtime} (made before)`,
      seconds: seconds(),
    };
  }
  log(`${official} cannot be pulled: making ${build} and ${runtime} with scripts/node-base-image.sh`);
  const caBundle = await hostCaBundle();
  await run('bash', [repoPath('scripts', 'node-base-image.sh'), ...(caBundle ? ['--ca-bundle', caBundle] : [])], {
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(
      `scripts/node-base-image.sh failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`,
    );
  });
  await docker(['image', 'inspect', build, runtime]);
  return { buildArgs, runtimeImage: runtime, description: `${build} and ${runtime} (made now)`, seconds: seconds() };
}
