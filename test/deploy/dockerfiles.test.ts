import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { envPairs, parseDockerfile, type Dockerfile, type Stage } from './support/dockerfile';
import { DockerIgnore } from './support/dockerignore';
import { productionNodeFlags } from '../../scripts/node-flags';
import { repoPath } from './support/paths';

/** What each image runs; test/images builds them and proves it actually runs. */
const images = [
  { file: 'Dockerfile.gateway', program: 'gateway', port: '3000', runtimeFiles: ['proto/', 'openapi.yaml'] },
  { file: 'Dockerfile.auth', program: 'auth-service', port: '50051', runtimeFiles: ['proto/'] },
];

/** The official image of the Node release that development and CI run. */
const officialNodeImage = `node:${readFileSync(repoPath('.node-version'), 'utf8').trim()}-bookworm-slim`;

function stageByName(dockerfile: Dockerfile, name: string): Stage {
  const stage = dockerfile.stages.find((s) => s.name === name);
  expect(stage, `stage ${name} of ${dockerfile.file}`).to.exist;
  return stage!;
}

function runCommands(stage: Stage): string[] {
  return stage.steps.filter((step) => step.keyword === 'RUN').map((step) => step.text.replace(/\s+/g, ' ').trim());
}

describe('Dockerfiles', () => {
  for (const image of images) {
    describe(image.file, () => {
      const dockerfile = parseDockerfile(image.file);
      const final = dockerfile.final;

      it('is multi-stage on base images given as build arguments, by default the official Node image of .node-version', () => {
        expect(dockerfile.args).to.deep.equal({ NODE_IMAGE: officialNodeImage, RUNTIME_IMAGE: officialNodeImage });
        expect(dockerfile.stages.length).to.be.at.least(2);
        for (const stage of dockerfile.stages.slice(0, -1)) expect(stage.from).to.equal('${NODE_IMAGE}');
        expect(final.from).to.equal('${RUNTIME_IMAGE}');
      });

      it('needs no OS packages and no compiler: native modules come prebuilt', () => {
        const commands = dockerfile.stages.flatMap(runCommands);
        expect(commands.filter((c) => /\b(apt-get|apt|apk|dnf|yum)\b/.test(c))).to.deep.equal([]);
      });

      it('installs under the project .npmrc (engine-strict, strict-allow-scripts)', () => {
        const build = dockerfile.stages[0];
        const npmrc = build.steps.findIndex((s) => s.keyword === 'COPY' && s.args.slice(0, -1).includes('.npmrc'));
        const install = build.steps.findIndex((s) => s.keyword === 'RUN' && /^npm ci\b/.test(s.text));
        expect(npmrc, '.npmrc copied into the build stage').to.be.at.least(0);
        expect(npmrc, '.npmrc copied before npm ci').to.be.below(install);
      });

      it('installs with npm ci and builds in a build stage', () => {
        const commands = dockerfile.stages.slice(0, -1).flatMap(runCommands);
        expect(commands.some((c) => /^npm ci( |$)/.test(c) && !c.includes('--omit=dev'))).to.equal(true);
        expect(commands).to.include('npm run build');
      });

      it('ships production dependencies only: node_modules comes from a stage that dropped devDependencies', () => {
        const copies = final.steps.filter(
          (s) => s.keyword === 'COPY' && s.args.some((a) => a.includes('node_modules')),
        );
        expect(copies, 'COPY of node_modules into the final stage').to.have.length(1);
        const from = copies[0].flags.from;
        expect(from, 'node_modules copied from a build stage').to.be.a('string');
        const commands = runCommands(stageByName(dockerfile, from!));
        const lastFullInstall = commands.findLastIndex(
          (c) => /^npm (ci|install)\b/.test(c) && !c.includes('--omit=dev'),
        );
        const productionOnly = commands.findLastIndex((c) => /^npm (prune|ci|install)\b.*--omit=dev/.test(c));
        expect(productionOnly, 'npm prune/ci --omit=dev after the last full install').to.be.above(lastFullInstall);
        // Nothing installs anything in the final stage.
        expect(runCommands(final).filter((c) => /\bnpm\b/.test(c))).to.deep.equal([]);
        expect(final.steps.flatMap((s) => (s.keyword === 'ENV' ? envPairs(s) : []))).to.deep.include([
          'NODE_ENV',
          'production',
        ]);
      });

      it('runs as a numeric non-root user', () => {
        const users = final.steps.filter((s) => s.keyword === 'USER');
        expect(users).to.have.length(1);
        const [uid, gid] = users[0].args[0].split(':');
        expect(uid).to.match(/^\d+$/);
        expect(Number(uid)).to.be.above(0);
        if (gid !== undefined) expect(Number(gid)).to.be.above(0);
        const userIndex = final.steps.indexOf(users[0]);
        expect(
          final.steps.slice(userIndex).filter((s) => s.keyword === 'RUN'),
          'no RUN as the app user',
        ).to.deep.equal([]);
      });

      it(`starts ${image.program} with an exec-form CMD so SIGTERM reaches node`, () => {
        const cmds = final.steps.filter((s) => s.keyword === 'CMD');
        expect(cmds).to.have.length(1);
        expect(cmds[0].json, 'exec (JSON) form').to.equal(true);
        expect(cmds[0].args[0]).to.equal('node');
        expect(cmds[0].args.at(-1)).to.equal(`dist/${image.program}/src/main.js`);
        expect(cmds[0].args.slice(1, -1), 'node flags of npm start and the benchmark').to.include.members(
          productionNodeFlags,
        );
        expect(final.steps.filter((s) => s.keyword === 'ENTRYPOINT' && !s.json)).to.deep.equal([]);
        expect(final.steps.filter((s) => s.keyword === 'EXPOSE').flatMap((s) => s.args)).to.deep.equal([image.port]);
      });

      it('copies only named sources: no tests, VCS data, env files, host dependencies or build output', () => {
        for (const stage of dockerfile.stages) {
          for (const step of stage.steps.filter((s) => s.keyword === 'COPY' || s.keyword === 'ADD')) {
            expect(step.keyword, `${image.file}:${step.line} uses COPY`).to.equal('COPY');
            if (step.flags.from) continue; // from an earlier stage of this build
            for (const source of step.args.slice(0, -1)) {
              expect(source, `${image.file}:${step.line}`).to.not.match(
                /^\.\/?$|\*|(^|\/)(test|tests|\.git|\.env[^/]*|node_modules|dist|data)(\/|$)/,
              );
              expect(existsSync(repoPath(source)), `${image.file}:${step.line} ${source} exists`).to.equal(true);
            }
          }
        }
        const contextCopies = final.steps
          .filter((s) => s.keyword === 'COPY' && !s.flags.from)
          .flatMap((s) => s.args.slice(0, -1));
        expect(contextCopies).to.have.members(image.runtimeFiles);
      });

      it('carries no secrets in ENV or ARG', () => {
        for (const stage of dockerfile.stages) {
          for (const step of stage.steps.filter((s) => s.keyword === 'ENV' || s.keyword === 'ARG')) {
            expect(step.text, `${image.file}:${step.line}`).to.not.match(/SECRET|PASSWORD|TOKEN|DATABASE_URL/i);
          }
        }
      });
    });
  }

  it('both images build from the same base images', () => {
    const [gateway, auth] = images.map((image) => parseDockerfile(image.file).args);
    expect(gateway).to.deep.equal(auth);
  });

  it('.npmrc refuses other Node releases and dependencies whose install scripts are not reviewed', () => {
    const settings = readFileSync(repoPath('.npmrc'), 'utf8')
      .split('\n')
      .map((line) => line.trim());
    expect(settings).to.include.members(['engine-strict=true', 'strict-allow-scripts=true']);
  });

  describe('.dockerignore', () => {
    const ignore = DockerIgnore.read(repoPath('.dockerignore'));

    for (const excluded of [
      'node_modules/express/index.js',
      'gateway/node_modules/x/index.js',
      'dist/gateway/src/main.js',
      'generated/openapi.ts',
      'data/orders.sqlite',
      'test/deploy/helm-chart.test.ts',
      'gateway/test/orders.test.ts',
      'auth-service/test/support/x.ts',
      'common/test/databases.ts',
      '.git/HEAD',
      '.env',
      '.env.production',
      'gateway/.env',
      'helm/aletheia/values.yaml',
      'k8s/mysql-secret.yaml',
      '.toolchain/node-v26.12.1/bin/node',
      '.wireit/build/state',
    ]) {
      it(`keeps ${excluded} out of the build context`, () => {
        expect(ignore.excludes(excluded)).to.equal(true);
      });
    }

    it('lets in what the images are built from', () => {
      for (const kept of [
        'package.json',
        'package-lock.json',
        '.npmrc',
        'tsconfig.json',
        'openapi.yaml',
        'proto/aletheia/auth/v1/auth.proto',
        'common/src/config.ts',
        'migrations/auth',
        'scripts/migrate.ts',
        'gateway/src/main.ts',
        'auth-service/src/main.ts',
      ]) {
        expect(ignore.excludes(kept), kept).to.equal(false);
      }
    });
  });
});
