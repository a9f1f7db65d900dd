import {
  createPool as createMysqlPool,
  Types,
  type FieldPacket,
  type Pool,
  type PoolConnection,
  type QueryResult,
  type ResultSetHeader,
  type RowDataPacket,
} from 'mysql2';
import { defaultAcquireTimeoutMs, type DatabaseConfig, type DatabaseHost } from '../config';
import { isDatabaseUnavailable } from '../database-errors';
import {
  announce,
  ConnectionTimeoutError,
  DatabaseClosedError,
  RetryingDatabase,
  TransactionEndedError,
  type PoolStats,
  type SqlDatabaseOptions,
  type SqlParam,
  type SqlRow,
  type SqlTransaction,
  type Statement,
  type StatementResult,
} from './types';

type MysqlConfig = Extract<DatabaseConfig, { client: 'mysql' }>;

/** MySQL column types whose values carry fractional seconds. */
const datetimeTypes = new Set([Types.DATETIME, Types.TIMESTAMP]);

/**
 * The binary protocol of prepared statements leaves out a DATETIME(3)'s fraction when it
 * is zero (`…:00` where the text protocol says `…:00.000`): pad it, so rows read either
 * way hold the stored form.
 */
function padFractions(rows: RowDataPacket[], fields: FieldPacket[]): void {
  for (const field of fields) {
    if (field.columnType === undefined || !datetimeTypes.has(field.columnType) || field.decimals === 0) continue;
    const zeros = `.${'0'.repeat(field.decimals)}`;
    for (const row of rows) {
      const value: unknown = row[field.name];
      if (typeof value === 'string' && value.length === 19) row[field.name] = value + zeros;
    }
  }
}

/**
 * How every MySQL connection of both programs is opened (mysql2's options, for its own
 * pools and for Knex's), to one of the database's servers: in UTC, with DECIMAL, BIGINT
 * and DATETIME values as text, so money and time never pass through floats or the local
 * time zone.
 */
export function mysqlConnectionOptions(config: MysqlConfig, server: DatabaseHost = config.hosts[0]) {
  return {
    host: server.host,
    port: server.port,
    user: config.user,
    password: config.password,
    database: config.database,
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    charset: 'utf8mb4',
    connectTimeout: config.acquireTimeoutMs ?? defaultAcquireTimeoutMs,
  } as const;
}

/** Sent first on every new connection, so every statement sees UTC. */
export const utcSession = "SET time_zone = '+00:00'";

/** Galera's switch: `ON` on a cluster node, `OFF` (or no such variable) on a standalone server. */
export const wsrepOnSql = "SHOW VARIABLES LIKE 'wsrep_on'";
/** A Galera node serves queries only while it is part of the primary component and synced. */
export const wsrepReadySql = "SHOW STATUS LIKE 'wsrep_ready'";
/** Reads wait until the node has applied what the cluster committed before them: read-your-writes across nodes. */
export const syncWaitSession = 'SET SESSION wsrep_sync_wait = 1';

/** A server of the list that answers but cannot serve: a Galera node outside the primary component, or not synced. */
export class NodeNotReadyError extends Error {
  readonly code = 'ERR_NODE_NOT_READY';
  constructor(server: DatabaseHost) {
    super(`the database node ${server.host}:${server.port} is not ready for queries`);
    this.name = 'NodeNotReadyError';
  }
}

function createPool(config: MysqlConfig, server: DatabaseHost, multipleStatements: boolean): Pool {
  const pool = createMysqlPool({
    ...mysqlConnectionOptions(config, server),
    connectionLimit: config.poolMax,
    maxIdle: config.poolMax,
    enableKeepAlive: true,
    multipleStatements,
  });
  // Queued ahead of anything else on the new connection; a connection that cannot set it is not used.
  pool.on('connection', (connection) =>
    connection.query(utcSession, (error) => {
      if (error) connection.destroy();
    }),
  );
  return pool;
}

function variableIsOn(rows: RowDataPacket[]): boolean {
  const value: unknown = rows[0]?.Value;
  return typeof value === 'string' && value.toUpperCase() === 'ON';
}

function getConnection(pool: Pool): Promise<PoolConnection> {
  return new Promise((resolve, reject) =>
    pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection))),
  );
}

/**
 * mysql2 pools of one kind (single statements, or batches), one per server of the
 * database, with the counts its metrics report and a bounded wait for a connection.
 * Connections come from the server that last answered; when it does not, from the next
 * of the list. Each new connection learns once whether its server is a Galera node.
 */
class ConnectionPool {
  private readonly pools: Pool[];
  private readonly galeraConnections = new WeakMap<PoolConnection, boolean>();
  private current = 0;
  private open = 0;
  private used = 0;
  private waiting = 0;

  constructor(
    private readonly config: MysqlConfig,
    multipleStatements: boolean,
    private readonly acquireTimeoutMs: number,
  ) {
    this.pools = config.hosts.map((server) => createPool(config, server, multipleStatements));
    for (const pool of this.pools) {
      pool.on('connection', (connection) => {
        this.open += 1;
        let counted = true;
        const gone = () => {
          if (counted) this.open -= 1;
          counted = false;
        };
        connection.once('end', gone);
        connection.once('error', gone);
      });
    }
  }

  stats(): PoolStats {
    return { used: this.used, free: Math.max(0, this.open - this.used), waiting: this.waiting };
  }

  /** True when the connection's server is a Galera node (known from the connection's first use). */
  onGalera(connection: PoolConnection): boolean {
    return this.galeraConnections.get(connection) ?? false;
  }

  /** A connection within the timeout; one handed over later is given straight back. */
  acquire(): Promise<PoolConnection> {
    this.waiting += 1;
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        this.waiting -= 1;
        reject(new ConnectionTimeoutError(this.acquireTimeoutMs));
      }, this.acquireTimeoutMs);
      this.fromAnyServer().then(
        (connection) => {
          if (timedOut) {
            connection.release();
            return;
          }
          clearTimeout(timer);
          this.waiting -= 1;
          this.used += 1;
          resolve(connection);
        },
        (error: unknown) => {
          if (timedOut) return;
          clearTimeout(timer);
          this.waiting -= 1;
          reject(error);
        },
      );
    });
  }

  /** From the current server, else each next one in turn; the first that serves becomes current. */
  private async fromAnyServer(): Promise<PoolConnection> {
    const first = this.current;
    for (let tried = 0; ; tried++) {
      const index = (first + tried) % this.pools.length;
      try {
        const connection = await this.ready(index, await getConnection(this.pools[index]));
        this.current = index;
        return connection;
      } catch (error) {
        if (tried + 1 >= this.pools.length || !isDatabaseUnavailable(error)) throw error;
      }
    }
  }

  /** A connection's first use: whether its server is a Galera node, ready, and its reads causal. */
  private async ready(index: number, connection: PoolConnection): Promise<PoolConnection> {
    if (this.galeraConnections.has(connection)) return connection;
    try {
      const galera = variableIsOn(await textQuery<RowDataPacket[]>(connection, wsrepOnSql, []));
      if (galera && !variableIsOn(await textQuery<RowDataPacket[]>(connection, wsrepReadySql, []))) {
        throw new NodeNotReadyError(this.config.hosts[index]);
      }
      if (galera && this.config.syncWait) await textQuery(connection, syncWaitSession, []);
      this.galeraConnections.set(connection, galera);
      return connection;
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  release(connection: PoolConnection): void {
    this.used -= 1;
    connection.release();
  }

  async use<T>(work: (connection: PoolConnection) => Promise<T>): Promise<T> {
    const connection = await this.acquire();
    try {
      return await work(connection);
    } finally {
      this.release(connection);
    }
  }

  async end(): Promise<void> {
    await Promise.all(
      this.pools.map(
        (pool) => new Promise<void>((resolve, reject) => pool.end((error) => (error ? reject(error) : resolve()))),
      ),
    );
  }
}

function prepared(connection: PoolConnection, sql: string, params: readonly SqlParam[]): Promise<SqlRow[]> {
  announce(sql);
  return new Promise((resolve, reject) =>
    connection.execute<RowDataPacket[]>(sql, [...params], (error, rows, fields) => {
      if (error) {
        reject(error);
        return;
      }
      padFractions(rows, fields);
      resolve(rows);
    }),
  );
}

function preparedWrite(connection: PoolConnection, sql: string, params: readonly SqlParam[]): Promise<number> {
  announce(sql);
  return new Promise((resolve, reject) =>
    connection.execute<ResultSetHeader>(sql, [...params], (error, result) =>
      error ? reject(error) : resolve(result.affectedRows),
    ),
  );
}

function plain(connection: PoolConnection, sql: 'BEGIN' | 'COMMIT' | 'ROLLBACK'): Promise<void> {
  announce(sql);
  return new Promise((resolve, reject) => connection.query(sql, (error) => (error ? reject(error) : resolve())));
}

function resultOf(outcome: ResultSetHeader | RowDataPacket[]): StatementResult {
  return Array.isArray(outcome) ? { changed: 0, rows: outcome } : { changed: outcome.affectedRows, rows: [] };
}

/**
 * Statements as one multi-statement query (the text protocol: the driver escapes every
 * bound value into the SQL). The connection must have been opened for several
 * statements; the server stops at the first statement that fails.
 */
async function multiStatement(
  connection: PoolConnection,
  statements: readonly Statement[],
): Promise<StatementResult[]> {
  const sql = statements.map((statement) => statement.sql).join(';\n');
  const params = statements.flatMap((statement) => statement.params);
  announce(sql);
  // One statement answers with its own outcome; several with the list of theirs.
  if (statements.length === 1)
    return [resultOf(await textQuery<ResultSetHeader | RowDataPacket[]>(connection, sql, params))];
  const outcomes: StatementResult[] = [];
  for (const outcome of await textQuery<ResultSetHeader[] | RowDataPacket[][]>(connection, sql, params)) {
    outcomes.push(resultOf(outcome));
  }
  return outcomes;
}

function textQuery<Result extends QueryResult>(
  connection: PoolConnection,
  sql: string,
  params: SqlParam[],
): Promise<Result> {
  return new Promise((resolve, reject) =>
    connection.query<Result>(sql, params, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

/** A batch on a connection that refuses multi-statement queries: one round trip per statement. */
async function oneByOne(connection: PoolConnection, statements: readonly Statement[]): Promise<StatementResult[]> {
  const results: StatementResult[] = [];
  for (const statement of statements) results.push(...(await multiStatement(connection, [statement])));
  return results;
}

const begin: Statement = { sql: 'BEGIN', params: [] };
const commit: Statement = { sql: 'COMMIT', params: [] };

/** One transaction on one connection: BEGIN goes with its first statement, COMMIT with commitWith. */
class MysqlTransaction implements SqlTransaction {
  readonly dialect = 'mysql';
  begun = false;
  ended = false;

  constructor(
    private readonly connection: PoolConnection,
    private readonly batches: boolean,
  ) {}

  async query(sql: string, params: readonly SqlParam[]): Promise<SqlRow[]> {
    await this.beginAlone();
    return prepared(this.connection, sql, params);
  }

  async execute(sql: string, params: readonly SqlParam[]): Promise<number> {
    await this.beginAlone();
    return preparedWrite(this.connection, sql, params);
  }

  batch(statements: readonly Statement[]): Promise<StatementResult[]> {
    return this.send(statements, false);
  }

  async commitWith(statements: readonly Statement[]): Promise<StatementResult[]> {
    const results = await this.send(statements, true);
    this.ended = true;
    return results;
  }

  private async send(statements: readonly Statement[], andCommit: boolean): Promise<StatementResult[]> {
    if (this.ended) throw new TransactionEndedError();
    if (!this.batches) {
      await this.beginAlone();
      const results = await oneByOne(this.connection, statements);
      if (andCommit) await plain(this.connection, 'COMMIT');
      return results;
    }
    const withBegin = !this.begun;
    this.begun = true;
    const sent = [...(withBegin ? [begin] : []), ...statements, ...(andCommit ? [commit] : [])];
    const results = await multiStatement(this.connection, sent);
    return results.slice(withBegin ? 1 : 0, (withBegin ? 1 : 0) + statements.length);
  }

  /** BEGIN as a round trip of its own, before a prepared statement (which cannot carry it). */
  private async beginAlone(): Promise<void> {
    if (this.ended) throw new TransactionEndedError();
    if (this.begun) return;
    this.begun = true;
    await plain(this.connection, 'BEGIN');
  }
}

/**
 * MySQL through mysql2's own pool. Single statements are prepared (`execute`: parsed and
 * planned once per connection, rows in the binary protocol) on connections that refuse
 * multi-statement queries; with `batches`, batches and transactions take a connection of
 * a second pool that accepts them. On a Galera node they still send one statement per
 * round trip: a certification failure must reach the transaction as the error of the
 * statement it hit, never hide inside a multi-statement answer.
 */
export class MysqlDatabase extends RetryingDatabase {
  readonly dialect = 'mysql';
  private readonly statements: ConnectionPool;
  private readonly batching: ConnectionPool | undefined;
  private closed = false;

  constructor(config: MysqlConfig, options: SqlDatabaseOptions) {
    super();
    const timeoutMs = config.acquireTimeoutMs ?? defaultAcquireTimeoutMs;
    this.statements = new ConnectionPool(config, false, timeoutMs);
    this.batching = options.batches ? new ConnectionPool(config, true, timeoutMs) : undefined;
  }

  async query(sql: string, params: readonly SqlParam[]): Promise<SqlRow[]> {
    return this.open(this.statements).use((connection) => prepared(connection, sql, params));
  }

  async execute(sql: string, params: readonly SqlParam[]): Promise<number> {
    return this.open(this.statements).use((connection) => preparedWrite(connection, sql, params));
  }

  async batch(statements: readonly Statement[]): Promise<StatementResult[]> {
    const batching = this.batching;
    if (batching) {
      return this.open(batching).use((connection) =>
        batching.onGalera(connection) ? oneByOne(connection, statements) : multiStatement(connection, statements),
      );
    }
    return this.open(this.statements).use((connection) => oneByOne(connection, statements));
  }

  pool(): PoolStats {
    const singles = this.statements.stats();
    const batches = this.batching?.stats() ?? { used: 0, free: 0, waiting: 0 };
    return {
      used: singles.used + batches.used,
      free: singles.free + batches.free,
      waiting: singles.waiting + batches.waiting,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.statements.end(), this.batching?.end()]);
  }

  private open(pool: ConnectionPool): ConnectionPool {
    if (this.closed) throw new DatabaseClosedError();
    return pool;
  }

  protected async attempt<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const pool = this.open(this.batching ?? this.statements);
    const connection = await pool.acquire();
    const tx = new MysqlTransaction(connection, this.batching !== undefined && !pool.onGalera(connection));
    try {
      const result = await work(tx);
      if (!tx.ended && tx.begun) await plain(connection, 'COMMIT');
      tx.ended = true;
      return result;
    } catch (error) {
      if (!tx.ended && tx.begun) {
        tx.ended = true;
        // On a dead connection this fails too; the first error is the one to report.
        await plain(connection, 'ROLLBACK').catch(() => undefined);
      }
      tx.ended = true;
      throw error;
    } finally {
      pool.release(connection);
    }
  }
}
