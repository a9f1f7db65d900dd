import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseConfig } from '../../common/src/config';
import { freePort } from '../../common/test/ports';
import { testDatabases, type TestDatabase } from '../../common/test/databases';
import { healthStatus, reflect } from '../../auth-service/test/support/standard-services';
import { orderBody } from '../../gateway/test/support/orders-fixtures';
import { renderChart } from '../deploy/support/helm';
import { repoPath } from '../deploy/support/paths';
import { baseImages, type BaseImages } from './support/base-images';
import {
  containerLogs,
  containerState,
  docker,
  dockerBuild,
  dockerSucceeds,
  imageFiles,
  imageId,
} from './support/docker';
import { RenderedChart, type ContainerRun } from './support/pod';

const runId = randomBytes(4).toString('hex');
const log = (line: string) => console.log(`      ${line}`);
const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);

interface ImageUnderTest {
  program: 'gateway' | 'auth-service';
  dockerfile: string;
  /** The image this run builds and removes. */
  tag: string;
  /** The build stage, tagged so that its layers stay as the cache of the next run. */
  cacheTag: string;
  topLevel: string[];
}

const images: ImageUnderTest[] = [
  {
    program: 'gateway',
    dockerfile: 'Dockerfile.gateway',
    tag: `aletheia-test/gateway:${runId}`,
    cacheTag: 'aletheia-test-cache/gateway:build',
    topLevel: ['dist', 'node_modules', 'openapi.yaml', 'package.json', 'proto'],
  },
  {
    program: 'auth-service',
    dockerfile: 'Dockerfile.auth',
    tag: `aletheia-test/auth:${runId}`,
    cacheTag: 'aletheia-test-cache/auth:build',
    topLevel: ['dist', 'node_modules', 'package.json', 'proto'],
  },
];

/** What the project itself adds on top of the runtime base image, at most. */
const applicationLayersBudget = 64e6;

/** Polls `probe` until `done`, failing early when a container it depends on has exited. */
async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, containers: string[]) {
  const deadline = Date.now() + 120_000;
  let last: T | string | undefined;
  while (Date.now() < deadline) {
    for (const name of containers) {
      const state = await containerState(name);
      if (!state.running) {
        throw new Error(`${name} exited (${state.exitCode}) while waiting for ${what}:\n${await containerLogs(name)}`);
      }
    }
    try {
      const value = await probe();
      if (done(value)) return value;
      last = value;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const logs = await Promise.all(containers.map(async (name) => `${name}:\n${await containerLogs(name)}`));
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})\n${logs.join('\n')}`);
}

/** The fields of /proc/<pid>/status that say who a process is and what it may do. */
function processStatus(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .map((line) => line.split(/:\s*/, 2))
      .filter((pair) => pair.length === 2),
  );
}

/** The mount options of the process's root filesystem (from its own mount namespace). */
function rootMountOptions(pid: number): string[] {
  const root = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .find((fields) => fields[4] === '/');
  if (!root) throw new Error(`no root mount in /proc/${pid}/mountinfo`);
  return root[5].split(',');
}

describe('Images: both Dockerfiles built from the working tree and run as the chart runs them', function () {
  // A cold run makes the base images (Debian and Node) and installs every dependency.
  this.timeout(30 * 60_000);

  let base: BaseImages;
  const builds = new Map<string, { log: string; seconds: number; size: number }>();
  const replacedCaches: string[] = [];
  let runtimeBaseSize = 0;

  before(async () => {
    expect(await dockerSucceeds(['info']), 'a Docker engine (npm run test:images starts one)').to.equal(true);
    base = await baseImages(log);
    log(`base images: ${base.description}, ready in ${base.seconds.toFixed(1)} s`);
    for (const image of images) {
      const previousCache = await imageId(image.cacheTag);
      const common = ['--network', 'host', '--force-rm', ...base.buildArgs, '-f', repoPath(image.dockerfile)];
      const stage = await dockerBuild([...common, '--target', 'build', '-t', image.cacheTag, repoPath()], log);
      const final = await dockerBuild([...common, '-t', image.tag, repoPath()], log);
      if (previousCache !== null && previousCache !== (await imageId(image.cacheTag)))
        replacedCaches.push(previousCache);
      const size = Number(await docker(['image', 'inspect', '--format', '{{.Size}}', image.tag]));
      builds.set(image.program, { log: stage.log + final.log, seconds: stage.seconds + final.seconds, size });
      log(`${image.tag}: built in ${(stage.seconds + final.seconds).toFixed(1)} s, ${megabytes(size)} MB`);
    }
    runtimeBaseSize = Number(await docker(['image', 'inspect', '--format', '{{.Size}}', base.runtimeImage]));
  });

  after(async () => {
    for (const image of images) await docker(['rmi', image.tag]).catch((error: Error) => log(error.message));
    // The build stages this run replaced: their layers are no one's cache any more.
    for (const id of replacedCaches) await docker(['rmi', id]).catch(() => undefined);
  });

  it('builds with only the npm registry and Debian reachable: nothing compiles, no unreviewed install script', () => {
    for (const [program, build] of builds) {
      expect(build.log, `${program}: node-gyp ran`).to.not.match(/node-gyp|^gyp /m);
      expect(build.log, `${program}: install scripts`).to.not.match(/install scripts not yet covered/);
      expect(build.log, `${program}: a warning`).to.not.match(/^npm warn/im);
    }
  });

  for (const image of images) {
    describe(image.dockerfile, () => {
      let files: string[];
      before(async () => {
        files = (await imageFiles(image.tag)).filter((file) => file.startsWith('app/'));
      });

      it('holds production files only: no devDependencies, tests, sources, or native build leftovers', () => {
        const top = [...new Set(files.map((file) => file.split('/')[1]).filter((name) => name !== ''))].sort();
        expect(top).to.deep.equal(image.topLevel);
        const dist = [...new Set(files.filter((f) => f.startsWith('app/dist/')).map((f) => f.split('/')[2]))];
        expect(dist.filter((name) => name !== '').sort()).to.deep.equal(
          ['common', 'migrations', image.program, 'scripts'].sort(),
        );
        const lock = JSON.parse(readFileSync(repoPath('package-lock.json'), 'utf8')) as {
          packages: Record<string, { dev?: boolean }>;
        };
        const devOnly = new Set(
          Object.entries(lock.packages)
            .filter(([location, entry]) => entry.dev && location.startsWith('node_modules/'))
            .map(([location]) => `app/${location}/`),
        );
        expect(devOnly.size).to.be.above(0);
        expect(
          files.filter((file) => devOnly.has(file)),
          'devDependencies shipped',
        ).to.deep.equal([]);
        for (const unused of ['concurrently', 'rxjs', 'pino-http', 'openapi-fetch']) {
          expect(files, unused).to.not.include(`app/node_modules/${unused}/`);
        }
        expect(files.filter((file) => /^app\/dist\/.*(\/test\/|\.test\.js|\.ts$)/.test(file))).to.deep.equal([]);
        expect(
          files.filter((file) => /\.(c|cc|cpp|h|hpp|gyp|gypi)$/.test(file)),
          'native sources',
        ).to.deep.equal([]);
        const binaries = files.filter((file) => file.endsWith('.node'));
        expect(binaries.length, 'native modules').to.be.above(0);
        expect(binaries.filter((file) => !/\/linux-x64[./]/.test(file) || /musl/.test(file))).to.deep.equal([]);
      });

      it(`adds at most ${applicationLayersBudget / 1e6} MB to its runtime base`, () => {
        const { size } = builds.get(image.program)!;
        const application = size - runtimeBaseSize;
        log(
          `${image.tag}: ${megabytes(size)} MB = base ${megabytes(runtimeBaseSize)} MB + ${megabytes(application)} MB`,
        );
        expect(application).to.be.at.most(applicationLayersBudget);
      });

      it('survives SQLite statements being garbage-collected (the abort that once pinned Node)', async () => {
        const churn = [
          "const Database = require('better-sqlite3');",
          "const db = new Database(':memory:');",
          'for (let i = 0; i < 20000; i++) db.prepare(`SELECT ${i}`).get();',
        ].join(' ');
        const name = `aletheia-test-${runId}-churn-${image.program}`;
        try {
          await docker([
            'run',
            '--name',
            name,
            '--network',
            'none',
            '--read-only',
            '--user',
            '1000:1000',
            '--cap-drop',
            'ALL',
            '--entrypoint',
            'node',
            image.tag,
            '-e',
            churn,
          ]);
          expect((await containerState(name)).exitCode).to.equal(0);
        } finally {
          await docker(['rm', '-f', name]).catch(() => undefined);
        }
      });
    });
  }

  for (const target of testDatabases()) {
    const kind = target().kind;
    describe(`the pod and its migration Job [${kind}]`, () => {
      const containers: string[] = [];
      const databases: TestDatabase[] = [];
      let dataDir: string | undefined;
      let chart: RenderedChart;
      let jobRuns: ContainerRun[];
      let auth: ContainerRun;
      let gateway: ContainerRun;
      let gatewayUrl: string;
      let metricsUrl: string;
      let probeAddress: string;
      let authAddress: string;
      const migrationExitCodes: Record<string, number> = {};

      const start = async (containerRun: ContainerRun) => {
        containers.push(containerRun.dockerName);
        await docker(['run', '--detach', ...containerRun.runArgs]);
      };
      const dockerName = (name: string) => `aletheia-test-${runId}-${kind}-${name}`;

      before(async () => {
        // Every port the pod listens on is a free one of this machine (the host's network).
        const [apiPort, grpcPort, healthPort, metricsPort] = [
          await freePort(),
          await freePort(),
          await freePort(),
          await freePort(),
        ];
        const settings: string[] = [];
        const stringSettings: string[] = [];
        const extraEnv: Record<string, string> = {};
        const extraMounts: string[] = [];
        if (kind === 'mysql') {
          // Reflection is off by default in production; this run turns it on, as an operator would.
          settings.push('auth.extraEnv[0].name=AUTH_GRPC_REFLECTION');
          stringSettings.push('auth.extraEnv[0].value=true');
          const [authDb, ordersDb] = [target(), target()];
          databases.push(authDb, ordersDb);
          for (const [name, database] of [
            ['auth', authDb],
            ['orders', ordersDb],
          ] as const) {
            const config = (await database.create()) as Extract<DatabaseConfig, { client: 'mysql' }>;
            settings.push(
              `database.${name}.host=${config.hosts[0].host}`,
              `database.${name}.port=${config.hosts[0].port}`,
              `database.${name}.name=${config.database}`,
              `database.${name}.user=${config.user}`,
              `database.${name}.password=${config.password}`,
              `database.${name}.passwordSecretRef.name=`,
            );
          }
        } else {
          // The chart has no SQLite mode: the same pod, with the database URLs pointing at
          // files in a volume of their own.
          dataDir = mkdtempSync(path.join(os.tmpdir(), 'aletheia-images-'));
          chownSync(dataDir, 1000, 1000);
          extraMounts.push(`type=bind,source=${dataDir},destination=/var/lib/aletheia`);
          extraEnv.AUTH_DATABASE_URL = 'sqlite:/var/lib/aletheia/auth.sqlite';
          extraEnv.ORDERS_DATABASE_URL = 'sqlite:/var/lib/aletheia/orders.sqlite';
          for (const name of ['auth', 'orders']) {
            settings.push(`database.${name}.host=127.0.0.1`, `database.${name}.passwordSecretRef.name=`);
          }
        }
        const [gatewayImage, authImage] = images.map((image) => image.tag.split(':'));
        chart = new RenderedChart(
          await renderChart({
            set: [
              ...settings,
              `image.gateway.repository=${gatewayImage[0]}`,
              `image.gateway.tag=${gatewayImage[1]}`,
              `image.auth.repository=${authImage[0]}`,
              `image.auth.tag=${authImage[1]}`,
              `gateway.port=${apiPort}`,
              `auth.port=${grpcPort}`,
              `auth.healthPort=${healthPort}`,
              `gateway.metricsPort=${metricsPort}`,
            ],
            setString: stringSettings,
          }),
        );
        const options = (name: string) => ({ dockerName: dockerName(name), extraEnv, extraMounts });

        // The hook Job: its init container (auth) runs to completion before its container (orders).
        const job = chart.migrationJob;
        jobRuns = [...(job.initContainers ?? []), ...job.containers].map((c) =>
          chart.containerRun(job, c, options(c.name)),
        );
        for (const run of jobRuns) {
          await start(run);
          migrationExitCodes[run.name] = Number(await docker(['wait', run.dockerName]));
          if (migrationExitCodes[run.name] !== 0) {
            throw new Error(
              `${run.name} exited ${migrationExitCodes[run.name]}:\n${await containerLogs(run.dockerName)}`,
            );
          }
        }

        // The pod: the native sidecar first; the gateway once its startup probe passes.
        const pod = chart.deployment;
        expect(pod.initContainers?.map((c) => c.restartPolicy)).to.deep.equal(['Always']);
        auth = chart.containerRun(pod, pod.initContainers![0], options('auth-service'));
        gateway = chart.containerRun(pod, pod.containers[0], options('gateway'));
        // The kubelet asks the sidecar's probe port; the gateway dials AUTH_GRPC_ADDRESS.
        probeAddress = `127.0.0.1:${auth.container.startupProbe!.grpc!.port}`;
        authAddress = gateway.env.AUTH_GRPC_ADDRESS;
        await start(auth);
        await until(
          'the sidecar startup probe',
          () => healthStatus(probeAddress),
          (s) => s === 'SERVING',
          [auth.dockerName],
        );
        await start(gateway);
        const readiness = gateway.container.readinessProbe!.httpGet!;
        const httpPort = gateway.container.ports!.find(
          (p) => p.name === readiness.port || p.containerPort === readiness.port,
        )!;
        gatewayUrl = `http://127.0.0.1:${httpPort.containerPort}`;
        metricsUrl = `http://127.0.0.1:${gateway.container.ports!.find((p) => p.name === 'metrics')!.containerPort}/metrics`;
        await until(
          'the gateway readiness probe',
          async () => (await fetch(`${gatewayUrl}${readiness.path}`)).status,
          (status) => status === 200,
          [auth.dockerName, gateway.dockerName],
        );
      });

      after(async () => {
        for (const name of containers.reverse()) await docker(['rm', '--force', name]).catch(() => undefined);
        for (const database of databases) await database.drop();
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      });

      it("runs the migration Job's containers (auth, then orders) to exit code 0", () => {
        expect(jobRuns.map((run) => run.name)).to.deep.equal(['migrate-auth', 'migrate-orders']);
        expect(migrationExitCodes).to.deep.equal({ 'migrate-auth': 0, 'migrate-orders': 0 });
      });

      it('has the sidecar report SERVING on its probe port, and on the address the gateway dials', async () => {
        expect(await healthStatus(probeAddress)).to.equal('SERVING');
        expect(await healthStatus(authAddress, 'aletheia.auth.v1.AuthService')).to.equal('SERVING');
      });

      it('serves reflection as configured (AUTH_GRPC_REFLECTION; off by default in production)', async () => {
        const enabled = auth.env.AUTH_GRPC_REFLECTION === undefined ? false : auth.env.AUTH_GRPC_REFLECTION === 'true';
        const listed = await reflect(authAddress, { list_services: '' }).catch((error: { code?: number }) => error);
        if (enabled) {
          expect(
            (listed as Awaited<ReturnType<typeof reflect>>).list_services_response?.service.map((s) => s.name),
          ).to.include.members(['aletheia.auth.v1.AuthService', 'grpc.health.v1.Health']);
        } else {
          expect((listed as { code?: number }).code).to.equal(status.UNIMPLEMENTED);
        }
      });

      it('serves register → login → purchase → list through the gateway and the sidecar, and counts it on the metrics port', async () => {
        expect((await fetch(`${gatewayUrl}/products`)).status).to.equal(200);
        const credentials = { username: `img_${randomBytes(4).toString('hex')}`, password: 'image-walk-pass-7' };
        const post = (route: string, body: unknown, headers: Record<string, string> = {}) =>
          fetch(`${gatewayUrl}${route}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify(body),
          });
        expect((await post('/auth/register', credentials)).status).to.equal(204);
        const login = await post('/auth/login', credentials);
        expect(login.status).to.equal(200);
        const { accessToken } = (await login.json()) as { accessToken: string };
        const authorization = { authorization: `Bearer ${accessToken}` };
        const purchase = await post('/orders/purchase', orderBody({ quantity: '10.50' }), {
          ...authorization,
          'idempotency-key': `image-walk-${runId}`,
        });
        expect(purchase.status, await purchase.clone().text()).to.equal(201);
        const order = (await purchase.json()) as { id: string; status: string; quantity: string };
        expect(order).to.include({ status: 'PENDING', quantity: '10.50' });
        const list = await fetch(`${gatewayUrl}/orders?limit=10`, { headers: authorization });
        expect(list.status).to.equal(200);
        const page = (await list.json()) as { data: Array<{ id: string }>; page: { total: number } };
        expect(page.data.map((o) => o.id)).to.deep.equal([order.id]);
        expect(page.page.total).to.equal(1);
        const metrics = await fetch(metricsUrl);
        expect(metrics.status).to.equal(200);
        expect(await metrics.text()).to.match(
          /^http_requests_total\{.*route="\/orders\/purchase".*status="201".*\} 1$/m,
        );
      });

      it("passes the chart's `helm test` pod (run from the gateway image)", async () => {
        const pod = chart.testPod;
        const readyz = chart.containerRun(pod, pod.containers[0], {
          dockerName: dockerName('test-readyz'),
          // The Service's name does not resolve here; the pod's own address stands in for it.
          extraEnv: { READYZ_URL: `${gatewayUrl}/readyz` },
        });
        await start(readyz);
        const code = Number(await docker(['wait', readyz.dockerName]));
        expect(code, await containerLogs(readyz.dockerName)).to.equal(0);
      });

      it('runs each container as uid 1000 with no capabilities, no privilege escalation and a read-only root', async () => {
        for (const run of [auth, gateway]) {
          const { pid } = await containerState(run.dockerName);
          const status = processStatus(pid);
          expect(status.Uid.split(/\s+/), run.name).to.deep.equal(['1000', '1000', '1000', '1000']);
          expect(status.Gid.split(/\s+/), run.name).to.deep.equal(['1000', '1000', '1000', '1000']);
          expect(status.CapEff, run.name).to.match(/^0+$/);
          expect(status.CapBnd, run.name).to.match(/^0+$/);
          expect(status.NoNewPrivs, run.name).to.equal('1');
          expect(status.Seccomp, run.name).to.equal('2');
          expect(rootMountOptions(pid), run.name).to.include('ro');
        }
      });

      it("stops on SIGTERM within the pod's grace period with exit code 0, gateway first, writing nothing outside its volumes", async () => {
        for (const run of [gateway, auth]) {
          const name = run.dockerName;
          // docker stop sends SIGTERM, then SIGKILL after the period (exit code 137).
          await docker(['stop', '--time', String(run.stopSeconds), name]);
          const state = await containerState(name);
          expect(state.exitCode, `${run.name}:\n${await containerLogs(name)}`).to.equal(0);
          expect(state.oomKilled).to.equal(false);
          // Docker creates the mount points of volumes the image lacks; anything else is a write.
          const mountPoints = run.mountPoints.flatMap((point) =>
            point.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/') || '/'),
          );
          const changes = (await docker(['diff', name])).split('\n').filter((line) => line !== '');
          expect(
            changes.filter((line) => !mountPoints.includes(line.slice(2))),
            `${run.name} changed its image filesystem`,
          ).to.deep.equal([]);
        }
      });
    });
  }
});
