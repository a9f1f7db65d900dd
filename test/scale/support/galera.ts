import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { freePort } from '../../../common/test/ports';
import { sleep, waitFor } from '../../support/managed-process';

const mariadbd = '/usr/sbin/mariadbd';
const galeraProvider = '/usr/lib/galera/libgalera_smm.so';

/** Installs Debian's Galera provider and rsync (the state transfer) when they are absent. */
export function ensureGaleraPackages(): void {
  const missing = [
    ...(existsSync(galeraProvider) ? [] : ['galera-4']),
    ...(existsSync('/usr/bin/rsync') ? [] : ['rsync']),
  ];
  if (missing.length === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', ...missing], { stdio: 'inherit', env });
}

function accountId(name: 'uid' | 'gid', user: string): number {
  return Number(execFileSync('id', [name === 'uid' ? '-u' : '-g', user], { encoding: 'utf8' }).trim());
}

interface NodePorts {
  sql: number;
  group: number;
  ist: number;
  sst: number;
}

/**
 * One `mariadbd --no-defaults` of the cluster, as the `mysql` user (as root the rsync
 * state transfer to a joining node fails), on loopback ports of its own.
 */
export class GaleraNode {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  starts = 0;

  constructor(
    readonly index: number,
    readonly dir: string,
    readonly ports: NodePorts,
    private readonly clusterAddress: () => string,
  ) {}

  get sqlPort(): number {
    return this.ports.sql;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(bootstrap: boolean): void {
    this.starts += 1;
    const dataDir = path.join(this.dir, 'data');
    const args = [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--port=${this.ports.sql}`,
      '--bind-address=127.0.0.1',
      `--socket=${path.join(this.dir, 'mysqld.sock')}`,
      `--pid-file=${path.join(this.dir, 'mysqld.pid')}`,
      '--skip-name-resolve',
      '--max-connections=300',
      '--innodb-buffer-pool-size=64M',
      '--binlog-format=ROW',
      '--default-storage-engine=InnoDB',
      '--innodb-autoinc-lock-mode=2',
      '--wsrep-on=ON',
      `--wsrep-provider=${galeraProvider}`,
      `--wsrep-cluster-address=gcomm://${this.clusterAddress()}`,
      '--wsrep-cluster-name=aletheia-scale',
      `--wsrep-node-name=node${this.index}`,
      `--wsrep-node-address=127.0.0.1:${this.ports.group}`,
      `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${this.ports.group};ist.recv_addr=127.0.0.1:${this.ports.ist}`,
      `--wsrep-sst-receive-address=127.0.0.1:${this.ports.sst}`,
      '--wsrep-sst-method=rsync',
      ...(bootstrap ? ['--wsrep-new-cluster'] : []),
    ];
    const log = createWriteStream(path.join(this.dir, `mariadbd-${this.starts}.log`));
    const child = spawn(mariadbd, args, {
      uid: accountId('uid', 'mysql'),
      gid: accountId('gid', 'mysql'),
      cwd: this.dir,
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** SIGTERM (a clean leave) or SIGKILL; waits for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Last resort on process exit: no waiting. */
  kill(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }

  connect(database?: string): Promise<Connection> {
    return createConnection({
      host: '127.0.0.1',
      port: this.ports.sql,
      user: 'root',
      database,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      timezone: 'Z',
    });
  }

  /** A wsrep status variable (`wsrep_cluster_size`, `wsrep_local_state_comment`, ...), or undefined when the node does not answer. */
  async status(name: string): Promise<string | undefined> {
    let connection: Connection | undefined;
    try {
      connection = await this.connect();
      const [rows] = await connection.query<RowDataPacket[]>('SHOW STATUS LIKE ?', [name]);
      const value: unknown = rows[0]?.Value;
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    } finally {
      await connection?.end().catch(() => undefined);
    }
  }

  /** True once the node is part of the primary component and synced. */
  async synced(): Promise<boolean> {
    return (await this.status('wsrep_local_state_comment')) === 'Synced' && (await this.status('wsrep_ready')) === 'ON';
  }
}

/** Every cluster this process started, for the exit handler. */
const started = new Set<GaleraCluster>();
process.once('exit', () => {
  for (const cluster of started) cluster.killNow();
});

/**
 * A three-node Galera cluster from Debian's packages in a temporary directory: node 1
 * bootstrapped with --wsrep-new-cluster, nodes 2 and 3 joined in turn by rsync state
 * transfer. Never touches the machine's own server.
 */
export class GaleraCluster {
  private constructor(
    readonly dir: string,
    readonly nodes: GaleraNode[],
  ) {}

  static async start(size = 3): Promise<{ cluster: GaleraCluster; formedMs: number }> {
    ensureGaleraPackages();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'aletheia-galera-'));
    const uid = accountId('uid', 'mysql');
    const gid = accountId('gid', 'mysql');
    chownSync(dir, uid, gid);
    const nodes: GaleraNode[] = [];
    const address = () => nodes.map((node) => `127.0.0.1:${node.ports.group}`).join(',');
    for (let index = 1; index <= size; index++) {
      const nodeDir = path.join(dir, `node${index}`);
      mkdirSync(path.join(nodeDir, 'data'), { recursive: true });
      chownSync(nodeDir, uid, gid);
      chownSync(path.join(nodeDir, 'data'), uid, gid);
      const ports = { sql: await freePort(), group: await freePort(), ist: await freePort(), sst: await freePort() };
      nodes.push(new GaleraNode(index, nodeDir, ports, address));
    }
    const cluster = new GaleraCluster(dir, nodes);
    started.add(cluster);
    const began = performance.now();
    try {
      execFileSync(
        'mariadb-install-db',
        [
          '--no-defaults',
          '--user=mysql',
          `--datadir=${path.join(nodes[0].dir, 'data')}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
        ],
        { stdio: 'ignore' },
      );
      nodes[0].start(true);
      await cluster.waitSynced(nodes[0]);
      for (const node of nodes.slice(1)) {
        node.start(false);
        await cluster.waitSynced(node);
      }
      await waitFor(
        `wsrep_cluster_size=${size}`,
        async () => (await nodes[0].status('wsrep_cluster_size')) === String(size),
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return { cluster, formedMs: performance.now() - began };
  }

  async waitSynced(node: GaleraNode, timeoutMs = 90_000): Promise<number> {
    return waitFor(
      `node ${node.index} synced`,
      async () => {
        if (!node.running) throw new Error(`node ${node.index} exited: see ${node.dir}`);
        return node.synced();
      },
      { timeoutMs, intervalMs: 250 },
    );
  }

  /** Stops every node and removes the directory. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop('SIGTERM', 20_000)));
    // The last node to leave may still hold files a moment after it exits.
    await sleep(100);
    if (!process.env.SCALE_KEEP_CLUSTER) rmSync(this.dir, { recursive: true, force: true });
    started.delete(this);
  }

  killNow(): void {
    for (const node of this.nodes) node.kill();
    if (!process.env.SCALE_KEEP_CLUSTER) rmSync(this.dir, { recursive: true, force: true });
  }
}
