import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { defaultAcquireTimeoutMs, type DatabaseConfig } from '../config';
import type { PoolStats, SqlParam, SqlRow, SqlTransaction, Statement, StatementResult } from './types';
import {
  announce,
  ConnectionTimeoutError,
  DatabaseClosedError,
  RetryingDatabase,
  TransactionEndedError,
} from './types';

type SqliteConfig = Extract<DatabaseConfig, { client: 'sqlite' }>;
type Prepared = BetterSqlite3.Statement<SqlParam[], SqlRow>;

/**
 * The one connection of an embedded database, taken in turn: a transaction keeps it from
 * BEGIN to COMMIT, so no other statement joins it. Waiters are served first come first
 * served, and give up after the timeout as a pool's would.
 */
class ConnectionTurns {
  private held = false;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly timeoutMs: number) {}

  get busy(): boolean {
    return this.held;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves once this caller holds the connection. */
  take(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(turn), 1);
        reject(new ConnectionTimeoutError(this.timeoutMs));
      }, this.timeoutMs);
      this.waiters.push(turn);
    });
  }

  give(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.held = false;
  }
}

/** Statements run one after another; a failing one stops the batch with its error. */
function runAll(statement: (sql: string) => Prepared, statements: readonly Statement[]): StatementResult[] {
  return statements.map(({ sql, params }) => {
    announce(sql);
    const prepared = statement(sql);
    return prepared.reader
      ? { changed: 0, rows: prepared.all(...params) }
      : { changed: prepared.run(...params).changes, rows: [] };
  });
}

class SqliteTransaction implements SqlTransaction {
  readonly dialect = 'sqlite';
  begun = false;
  ended = false;

  constructor(private readonly database: SqliteDatabase) {}

  async query(sql: string, params: readonly SqlParam[]): Promise<SqlRow[]> {
    this.begin();
    return this.database.rows(sql, params);
  }

  async execute(sql: string, params: readonly SqlParam[]): Promise<number> {
    this.begin();
    return this.database.changes(sql, params);
  }

  async batch(statements: readonly Statement[]): Promise<StatementResult[]> {
    this.begin();
    return this.database.runBatch(statements);
  }

  async commitWith(statements: readonly Statement[]): Promise<StatementResult[]> {
    this.begin();
    const results = this.database.runBatch(statements);
    this.database.plain('COMMIT');
    this.ended = true;
    return results;
  }

  private begin(): void {
    if (this.ended) throw new TransactionEndedError();
    if (this.begun) return;
    this.begun = true;
    this.database.plain('BEGIN');
  }
}

/**
 * An embedded SQLite file through better-sqlite3: one connection (SQLite has one writer
 * at a time anyway) in WAL mode, each statement prepared once and kept. Statements run
 * synchronously, so only transactions, which span awaits, need to take turns.
 */
export class SqliteDatabase extends RetryingDatabase {
  readonly dialect = 'sqlite';
  private readonly connection: BetterSqlite3.Database;
  private readonly prepared = new Map<string, Prepared>();
  private readonly turns: ConnectionTurns;
  private closed = false;

  constructor(config: SqliteConfig) {
    super();
    mkdirSync(path.dirname(config.filename), { recursive: true });
    this.connection = new BetterSqlite3(config.filename);
    this.connection.pragma('journal_mode = WAL');
    this.connection.pragma('synchronous = NORMAL');
    this.connection.pragma('busy_timeout = 5000');
    this.connection.pragma('foreign_keys = ON');
    this.turns = new ConnectionTurns(config.acquireTimeoutMs ?? defaultAcquireTimeoutMs);
  }

  async query(sql: string, params: readonly SqlParam[]): Promise<SqlRow[]> {
    await this.take();
    try {
      return this.rows(sql, params);
    } finally {
      this.turns.give();
    }
  }

  async execute(sql: string, params: readonly SqlParam[]): Promise<number> {
    await this.take();
    try {
      return this.changes(sql, params);
    } finally {
      this.turns.give();
    }
  }

  async batch(statements: readonly Statement[]): Promise<StatementResult[]> {
    await this.take();
    try {
      return this.runBatch(statements);
    } finally {
      this.turns.give();
    }
  }

  pool(): PoolStats {
    const open = this.closed ? 0 : 1;
    const used = this.turns.busy ? 1 : 0;
    return { used, free: open - used, waiting: this.turns.waiting };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.prepared.clear();
    this.connection.close();
  }

  /** The statements below run at once: only for a caller that holds the connection (a transaction). */
  rows(sql: string, params: readonly SqlParam[]): SqlRow[] {
    announce(sql);
    return this.statement(sql).all(...params);
  }

  changes(sql: string, params: readonly SqlParam[]): number {
    announce(sql);
    return this.statement(sql).run(...params).changes;
  }

  runBatch(statements: readonly Statement[]): StatementResult[] {
    return runAll((sql) => this.statement(sql), statements);
  }

  plain(sql: 'BEGIN' | 'COMMIT' | 'ROLLBACK'): void {
    announce(sql);
    this.connection.exec(sql);
  }

  private async take(): Promise<void> {
    if (this.closed) throw new DatabaseClosedError();
    await this.turns.take();
    if (this.closed) {
      this.turns.give();
      throw new DatabaseClosedError();
    }
  }

  private statement(sql: string): Prepared {
    let statement = this.prepared.get(sql);
    if (statement === undefined) {
      statement = this.connection.prepare<SqlParam[], SqlRow>(sql);
      this.prepared.set(sql, statement);
    }
    return statement;
  }

  protected async attempt<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    await this.take();
    const tx = new SqliteTransaction(this);
    try {
      const result = await work(tx);
      if (!tx.ended && tx.begun) this.plain('COMMIT');
      tx.ended = true;
      return result;
    } catch (error) {
      if (!tx.ended && tx.begun && this.connection.inTransaction) this.plain('ROLLBACK');
      tx.ended = true;
      throw error;
    } finally {
      this.turns.give();
    }
  }
}
