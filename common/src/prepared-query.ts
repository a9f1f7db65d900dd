import type { Knex } from 'knex';

export type Binding = string | number | null;

interface MySqlField {
  name: string;
  columnType: number;
  decimals: number;
}

interface MySqlConnection {
  execute(
    sql: string,
    values: Binding[],
    callback: (error: Error | null, result: unknown, fields: MySqlField[]) => void,
  ): void;
}

interface SqliteStatement {
  all(...values: Binding[]): unknown[];
  run(...values: Binding[]): { changes: number };
}

interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}

interface PoolClient {
  config: { client?: unknown };
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
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
 * Runs `use` on a connection from the Knex pool, or on the transaction's own connection
 * when `db` is a transaction (Knex's transaction client hands out that one).
 */
async function onConnection<T>(db: Knex, use: (connection: unknown, mysql: boolean) => Promise<T> | T): Promise<T> {
  // Knex's own words for a statement sent after COMMIT/ROLLBACK, so callers see one error either way.
  if (db.isTransaction && (db as Knex.Transaction).isCompleted()) {
    throw new Error('Transaction query already complete, run with DEBUG=knex:tx for more info');
  }
  const client = db.client as PoolClient;
  const connection = await client.acquireConnection();
  try {
    return await use(connection, client.config.client === 'mysql2');
  } finally {
    await client.releaseConnection(connection);
  }
}

/**
 * Runs a SELECT as a prepared statement on a connection of the Knex pool (or of the
 * transaction `db` is): a mysql2 `execute` (the server parses and plans it once per
 * connection, rows come back in the binary protocol) or a cached better-sqlite3
 * statement. It skips Knex's query builder, its binding interpolation and the server's
 * parser, which together cost more than a simple query itself. The SQL must be written
 * for both databases (plain identifiers, `?` placeholders). Rows have the same shape and
 * values as through Knex (date strings included); errors are the driver's own, so
 * callers classify them as they always do.
 */
export function selectPrepared<Row>(db: Knex, sql: string, bindings: Binding[]): Promise<Row[]> {
  return onConnection(db, async (connection, mysql) => {
    if (!mysql) return sqliteStatement(connection as SqliteConnection, sql).all(...bindings) as Row[];
    const { result, fields } = await mysqlExecute(connection, sql, bindings);
    const rows = result as Array<Record<string, unknown>>;
    padFractions(rows, fields);
    return rows as Row[];
  });
}

/** Runs an INSERT, UPDATE or DELETE as a prepared statement (see selectPrepared); resolves to the rows it changed. */
export function executePrepared(db: Knex, sql: string, bindings: Binding[]): Promise<number> {
  return onConnection(db, async (connection, mysql) => {
    if (!mysql) return sqliteStatement(connection as SqliteConnection, sql).run(...bindings).changes;
    const { result } = await mysqlExecute(connection, sql, bindings);
    return (result as { affectedRows: number }).affectedRows;
  });
}
