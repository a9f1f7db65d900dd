import type { Knex } from 'knex';

export type Binding = string | number | null;

interface MySqlField {
  name: string;
  columnType: number;
  decimals: number;
}

interface MySqlConnection {
  config: { multipleStatements?: boolean };
  execute(
    sql: string,
    values: Binding[],
    callback: (error: Error | null, result: unknown, fields: MySqlField[]) => void,
  ): void;
  query(sql: string, callback: (error: Error | null) => void): void;
  query(sql: string, values: Binding[], callback: (error: Error | null, result: unknown) => void): void;
}

interface SqliteStatement {
  /** True for a statement that returns rows (a SELECT). */
  readonly reader: boolean;
  all(...values: Binding[]): unknown[];
  run(...values: Binding[]): { changes: number };
}

interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
}

interface PoolClient {
  config: { client?: unknown };
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
  /** Knex passes a client's 'query' events on to the Knex instance (`db.on('query', …)`). */
  emit(event: 'query', query: { sql: string; bindings: Binding[]; method: 'raw' }): boolean;
}

/** MySQL column types whose values carry fractional seconds. */
const mysqlDatetime = 0x0c;
const mysqlTimestamp = 0x07;

/**
 * The binary protocol leaves out a DATETIME(3)'s fraction when it is zero: `…:00` where
 * the text protocol says `…:00.000`. The columns to pad, and their fraction's width.
 */
function fractionalColumns(fields: MySqlField[]): Array<[string, string]> {
  return fields
    .filter(
      (field) => (field.columnType === mysqlDatetime || field.columnType === mysqlTimestamp) && field.decimals > 0,
    )
    .map((field) => [field.name, `.${'0'.repeat(field.decimals)}`]);
}

function padFractions(rows: Array<Record<string, unknown>>, fields: MySqlField[]): void {
  const columns = fractionalColumns(fields);
  if (columns.length === 0) return;
  for (const row of rows) {
    for (const [name, zeros] of columns) {
      const value = row[name];
      if (typeof value === 'string' && value.length === 19) row[name] = value + zeros;
    }
  }
}

/** better-sqlite3 statements of each connection, by SQL text (the set of statements is small and fixed). */
const sqliteStatements = new WeakMap<object, Map<string, SqliteStatement>>();

function sqliteStatement(connection: SqliteConnection, sql: string): SqliteStatement {
  let statements = sqliteStatements.get(connection);
  if (statements === undefined) {
    statements = new Map();
    sqliteStatements.set(connection, statements);
  }
  let statement = statements.get(sql);
  if (statement === undefined) {
    statement = connection.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}

function mysqlExecute(connection: unknown, sql: string, bindings: Binding[]) {
  return new Promise<{ result: unknown; fields: MySqlField[] }>((resolve, reject) => {
    (connection as MySqlConnection).execute(sql, bindings, (error, result, fields) =>
      error ? reject(error) : resolve({ result, fields }),
    );
  });
}

/**
 * A transaction on one connection of the Knex pool, driven with plain BEGIN/COMMIT and
 * prepared statements: Knex's transaction object costs about as much CPU again as the
 * statements of a short transaction (measured: ~0.2 ms against ~0.08 ms for BEGIN, one
 * INSERT and COMMIT). Hand it to selectPrepared/executePrepared; it refuses statements
 * once it has ended. Made by inSqlTransaction.
 */
export class SqlTransaction {
  private ended = false;
  private begun = false;
  private commitDone = false;

  constructor(
    readonly connection: unknown,
    readonly mysql: boolean,
    readonly client: PoolClient,
  ) {}

  get isCompleted(): boolean {
    return this.ended;
  }

  /** Whether BEGIN has been sent (a transaction that ran no statement has nothing to commit). */
  get hasBegun(): boolean {
    return this.begun;
  }

  /** Sends BEGIN before the first statement, unless that statement carried it (takeBegin). */
  async begin(): Promise<void> {
    if (this.takeBegin()) await plainStatement(this.client, this.connection, this.mysql, 'BEGIN');
  }

  /**
   * True once, for a first statement that sends BEGIN itself at the head of its own
   * query (a batch on MySQL): one round trip fewer per transaction.
   */
  takeBegin(): boolean {
    if (this.begun) return false;
    this.begun = true;
    return true;
  }

  end(): void {
    this.ended = true;
  }

  /** Whether a batch carried the transaction's COMMIT (see executeBatch's `commit`). */
  get hasCommitted(): boolean {
    return this.commitDone;
  }

  /** The transaction's last batch committed it: nothing more may run on it. */
  committed(): void {
    this.commitDone = true;
    this.ended = true;
  }
}

/** Where a prepared statement can run: the pool, a Knex transaction, or a SqlTransaction. */
export type SqlTarget = Knex | Knex.Transaction | SqlTransaction;

const completedMessage = 'Transaction query already complete, run with DEBUG=knex:tx for more info';

async function plainStatement(client: PoolClient, connection: unknown, mysql: boolean, sql: string): Promise<void> {
  client.emit('query', { sql, bindings: [], method: 'raw' });
  if (!mysql) {
    (connection as SqliteConnection).exec(sql);
    return;
  }
  return new Promise((resolve, reject) =>
    (connection as MySqlConnection).query(sql, (error) => (error ? reject(error) : resolve())),
  );
}

/**
 * Runs `work` in a transaction on one pool connection: BEGIN (sent with the first
 * statement), then COMMIT when `work` resolves (unless its last batch carried it),
 * ROLLBACK when it throws before that (a ROLLBACK that fails too, on a dead connection,
 * does not hide the first error). The connection goes back to the pool either way; the
 * pool drops it when the driver has marked it broken.
 */
export async function inSqlTransaction<T>(db: Knex, work: (trx: SqlTransaction) => Promise<T>): Promise<T> {
  const client = db.client as PoolClient;
  const mysql = client.config.client === 'mysql2';
  const connection = await client.acquireConnection();
  try {
    const trx = new SqlTransaction(connection, mysql, client);
    try {
      const result = await work(trx);
      trx.end();
      if (trx.hasBegun && !trx.hasCommitted) await plainStatement(client, connection, mysql, 'COMMIT');
      return result;
    } catch (error) {
      trx.end();
      if (trx.hasBegun && !trx.hasCommitted) {
        await plainStatement(client, connection, mysql, 'ROLLBACK').catch(() => undefined);
      }
      throw error;
    }
  } finally {
    await client.releaseConnection(connection);
  }
}

/**
 * Runs `use` on the connection `target` stands for: a pool connection (given back
 * after), or the connection of a transaction (Knex's or ours), which must not have ended.
 * Every statement is announced as Knex announces its own (`db.on('query', …)`).
 */
async function onConnection<T>(
  target: SqlTarget,
  sql: string,
  bindings: Binding[],
  use: (connection: unknown, mysql: boolean) => Promise<T> | T,
) {
  if (target instanceof SqlTransaction) {
    if (target.isCompleted) throw new Error(completedMessage);
    await target.begin();
    target.client.emit('query', { sql, bindings, method: 'raw' });
    return use(target.connection, target.mysql);
  }
  // Knex's own words for a statement sent after COMMIT/ROLLBACK, so callers see one error either way.
  if (target.isTransaction && (target as Knex.Transaction).isCompleted()) throw new Error(completedMessage);
  const client = target.client as PoolClient;
  const connection = await client.acquireConnection();
  try {
    client.emit('query', { sql, bindings, method: 'raw' });
    return await use(connection, client.config.client === 'mysql2');
  } finally {
    await client.releaseConnection(connection);
  }
}

/**
 * Runs a SELECT as a prepared statement on a connection of the Knex pool (or of the
 * transaction `db` is, Knex's or a SqlTransaction): a mysql2 `execute` (the server parses and plans it once per
 * connection, rows come back in the binary protocol) or a cached better-sqlite3
 * statement. It skips Knex's query builder, its binding interpolation and the server's
 * parser, which together cost more than a simple query itself. The SQL must be written
 * for both databases (plain identifiers, `?` placeholders). Rows have the same shape and
 * values as through Knex (date strings included); errors are the driver's own, so
 * callers classify them as they always do.
 */
export function selectPrepared<Row>(db: SqlTarget, sql: string, bindings: Binding[]): Promise<Row[]> {
  return onConnection(db, sql, bindings, async (connection, mysql) => {
    if (!mysql) return sqliteStatement(connection as SqliteConnection, sql).all(...bindings) as Row[];
    const { result, fields } = await mysqlExecute(connection, sql, bindings);
    const rows = result as Array<Record<string, unknown>>;
    padFractions(rows, fields);
    return rows as Row[];
  });
}

/** Runs an INSERT, UPDATE or DELETE as a prepared statement (see selectPrepared); resolves to the rows it changed. */
export function executePrepared(db: SqlTarget, sql: string, bindings: Binding[]): Promise<number> {
  return onConnection(db, sql, bindings, async (connection, mysql) => {
    if (!mysql) return sqliteStatement(connection as SqliteConnection, sql).run(...bindings).changes;
    const { result } = await mysqlExecute(connection, sql, bindings);
    return (result as { affectedRows: number }).affectedRows;
  });
}

/** One statement of a batch: SQL with `?` placeholders and its values. */
export interface Statement {
  sql: string;
  bindings: Binding[];
}

/** What one statement of a batch did: the rows a write changed, or the rows a SELECT read. */
export interface StatementOutcome {
  changed: number;
  rows: Array<Record<string, unknown>>;
}

export interface BatchOptions {
  /**
   * End the transaction with COMMIT in the same round trip (the batch must be the
   * transaction's last work; `db` must be a SqlTransaction). COMMIT runs only if every
   * statement succeeded; otherwise the error is returned and the transaction rolls back.
   */
  commit?: boolean;
}

/**
 * Runs statements in order, in one round trip, and resolves to what each did. Meant for
 * the statements of one request: a create writes four rows, and each round trip to MySQL
 * costs both sides more CPU than the statement itself. On MySQL the batch is one
 * multi-statement query (values escaped by the driver; the connection must allow multiple
 * statements, see createDatabase); the server stops at the first statement that fails
 * and that error is returned, so the caller's transaction decides what happens to the
 * statements before it. The first batch of a SqlTransaction also carries its BEGIN, and
 * with `commit` the last one its COMMIT. On SQLite the cached statements run one after
 * another, with the same outcome. SELECT rows come from the text protocol: the same
 * values as selectPrepared's.
 */
export function executeBatch(
  db: SqlTarget,
  statements: Statement[],
  options: BatchOptions = {},
): Promise<StatementOutcome[]> {
  const trx = db instanceof SqlTransaction ? db : undefined;
  if (options.commit && !trx) throw new Error('executeBatch commits only a transaction of inSqlTransaction');
  const batched = trx !== undefined && trx.mysql && allowsMultipleStatements(trx.connection as MySqlConnection);
  const carriesBegin = batched && trx.takeBegin();
  const carriesCommit = batched && options.commit === true;
  const sent = [
    ...(carriesBegin ? [{ sql: 'BEGIN', bindings: [] }] : []),
    ...statements,
    ...(carriesCommit ? [{ sql: 'COMMIT', bindings: [] }] : []),
  ];
  const sql = sent.map((statement) => statement.sql).join(';\n');
  const bindings = sent.flatMap((statement) => statement.bindings);
  return onConnection(db, sql, bindings, async (connection, mysql) => {
    const outcomes = mysql
      ? await mysqlBatch(connection as MySqlConnection, sql, bindings, sent.length)
      : sqliteBatch(connection as SqliteConnection, statements);
    if (options.commit && trx) {
      if (!carriesCommit) await plainStatement(trx.client, connection, mysql, 'COMMIT');
      trx.committed();
    }
    const first = carriesBegin ? 1 : 0;
    return outcomes.slice(first, first + statements.length);
  });
}

async function mysqlBatch(
  connection: MySqlConnection,
  sql: string,
  bindings: Binding[],
  count: number,
): Promise<StatementOutcome[]> {
  if (count > 1 && !allowsMultipleStatements(connection)) {
    throw new Error('executeBatch needs a MySQL connection that allows multiple statements (createDatabase option)');
  }
  const result = await new Promise<unknown>((resolve, reject) =>
    connection.query(sql, bindings, (error, outcome) => (error ? reject(error) : resolve(outcome))),
  );
  const results = (count === 1 ? [result] : result) as unknown[];
  return results.map((outcome) =>
    Array.isArray(outcome)
      ? { changed: 0, rows: outcome as Array<Record<string, unknown>> }
      : { changed: (outcome as { affectedRows: number }).affectedRows, rows: [] },
  );
}

function sqliteBatch(connection: SqliteConnection, statements: Statement[]): StatementOutcome[] {
  return statements.map(({ sql, bindings }) => {
    const statement = sqliteStatement(connection, sql);
    return statement.reader
      ? { changed: 0, rows: statement.all(...bindings) as Array<Record<string, unknown>> }
      : { changed: statement.run(...bindings).changes, rows: [] };
  });
}

function allowsMultipleStatements(connection: MySqlConnection): boolean {
  return connection.config.multipleStatements === true;
}
