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
    callback: (error: Error | null, rows: Array<Record<string, unknown>>, fields: MySqlField[]) => void,
  ): void;
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

interface SqliteStatement {
  all(...values: Binding[]): unknown[];
}

interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}

/** better-sqlite3 statements of each connection, by SQL text (the set of hot queries is small and fixed). */
const sqliteStatements = new WeakMap<object, Map<string, SqliteStatement>>();

/**
 * Runs a SELECT as a prepared statement on a connection from the Knex pool: a mysql2
 * `execute` (the server parses and plans it once per connection, rows come back in the
 * binary protocol) or a cached better-sqlite3 statement. For the hottest reads: it
 * skips Knex's query builder and compiler and the server's parser, which together cost
 * more than the query itself. The SQL must be written for both databases (plain
 * identifiers, `?` placeholders). Rows have the same shape and values as through Knex
 * (date strings included); errors are the driver's own, so callers classify them as they always do.
 */
export async function selectPrepared<Row>(db: Knex, sql: string, bindings: Binding[]): Promise<Row[]> {
  // A pool connection is not the transaction's: reads inside one go through the transaction.
  if (db.isTransaction) throw new Error('selectPrepared runs outside transactions');
  const client = db.client as {
    config: { client?: unknown };
    acquireConnection(): Promise<unknown>;
    releaseConnection(connection: unknown): Promise<unknown>;
  };
  const connection = await client.acquireConnection();
  try {
    if (client.config.client === 'mysql2') {
      return await new Promise<Row[]>((resolve, reject) => {
        (connection as MySqlConnection).execute(sql, bindings, (error, rows, fields) => {
          if (error) return reject(error);
          padFractions(rows, fields);
          resolve(rows as Row[]);
        });
      });
    }
    const sqlite = connection as SqliteConnection;
    let statements = sqliteStatements.get(sqlite);
    if (statements === undefined) {
      statements = new Map();
      sqliteStatements.set(sqlite, statements);
    }
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = sqlite.prepare(sql);
      statements.set(sql, statement);
    }
    return statement.all(...bindings) as Row[];
  } finally {
    await client.releaseConnection(connection);
  }
}
