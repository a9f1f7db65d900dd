import { channel } from 'node:diagnostics_channel';
import { isTransactionConflict } from '../database-errors';

/** A value bound to a `?` placeholder. */
export type SqlParam = string | number | null;
/** A value a row holds: DECIMAL and DATETIME come back as text on both databases. */
export type SqlValue = string | number | bigint | Buffer | null;
export type SqlRow = Readonly<Record<string, SqlValue>>;

/** One statement of a batch: SQL with `?` placeholders and its values. */
export interface Statement {
  sql: string;
  params: readonly SqlParam[];
}

/** What one statement of a batch did: the rows a write changed, or the rows a SELECT read. */
export interface StatementResult {
  changed: number;
  rows: SqlRow[];
}

/** Where statements run: the database's pool, or one transaction's connection. */
export interface SqlSession {
  readonly dialect: 'mysql' | 'sqlite';
  /** Rows of one statement, prepared once per connection and cached. */
  query(sql: string, params: readonly SqlParam[]): Promise<SqlRow[]>;
  /** Rows one INSERT, UPDATE or DELETE changed (a prepared statement, as query). */
  execute(sql: string, params: readonly SqlParam[]): Promise<number>;
  /**
   * Statements in order, in one round trip where the database allows it (MySQL: one
   * multi-statement query on a connection opened for them, every value bound). Stops at
   * the first statement that fails, with its error; what ran before it stays unless a
   * transaction undoes it.
   */
  batch(statements: readonly Statement[]): Promise<StatementResult[]>;
}

export interface SqlTransaction extends SqlSession {
  /** Runs the transaction's last statements and its COMMIT in one round trip; nothing may run after. */
  commitWith(statements: readonly Statement[]): Promise<StatementResult[]>;
}

export interface PoolStats {
  /** Connections handed out. */
  used: number;
  /** Connections open and idle. */
  free: number;
  /** Calls waiting for a connection. */
  waiting: number;
}

/** Transactions the database aborted as conflicts since the start: run again, or given up on. */
export interface ConflictStats {
  retried: number;
  gaveUp: number;
}

export interface SqlDatabase extends SqlSession {
  /**
   * Runs `work` in a transaction: BEGIN rides with its first statement where it can,
   * COMMIT when `work` resolves (unless commitWith sent it), ROLLBACK when it throws.
   * `work` may run more than once: a transaction the database aborted as a conflict
   * (deadlock victim, or a certification failure on a multi-primary cluster: errno 1213,
   * SQLSTATE 40001, at any statement or at COMMIT) is run again from the start, so it must
   * only read and write through `tx` and build its outcome from what it read there.
   * After the last attempt it fails with TransactionConflictError (answered as unavailable).
   */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  conflicts(): ConflictStats;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  pool(): PoolStats;
  /** Ends every connection; calls made afterwards fail as the database being unavailable. */
  close(): Promise<void>;
}

export interface SqlDatabaseOptions {
  /**
   * Keep a second MySQL pool whose connections accept several statements per query, for
   * batch() and transactions. Single statements run on connections that refuse them, so
   * only the batching paths ever send more than one statement at once.
   */
  batches?: boolean;
}

/**
 * Every round trip (SQL text, before it is sent), for tests and diagnostics:
 * `diagnostics_channel.subscribe(sqlChannelName, …)`. Costs nothing without subscribers.
 */
export const sqlChannelName = 'aletheia:sql';
const sqlChannel = channel(sqlChannelName);

export function announce(sql: string): void {
  if (sqlChannel.hasSubscribers) sqlChannel.publish({ sql });
}

/** A transaction aborted as a conflict is tried this many times in all. */
export const maxTransactionAttempts = 5;
/**
 * Before its n-th run a transaction waits a random time below retryBaseDelayMs·2^(n-2)
 * ("full jitter"): two pods whose transactions collided do not collide again in step.
 */
const retryBaseDelayMs = 10;

function jitter(round: number): Promise<void> {
  const ms = Math.random() * retryBaseDelayMs * 2 ** (round - 1);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What both drivers' databases do alike: transactions run again after a conflict, and the ping. */
export abstract class RetryingDatabase implements SqlDatabase {
  abstract readonly dialect: 'mysql' | 'sqlite';
  abstract query(sql: string, params: readonly SqlParam[]): Promise<SqlRow[]>;
  abstract execute(sql: string, params: readonly SqlParam[]): Promise<number>;
  abstract batch(statements: readonly Statement[]): Promise<StatementResult[]>;
  abstract pool(): PoolStats;
  abstract close(): Promise<void>;
  /** One run of a transaction: BEGIN … COMMIT on one connection, ROLLBACK on failure. */
  protected abstract attempt<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;

  private readonly conflictCounts: ConflictStats = { retried: 0, gaveUp: 0 };

  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    for (let round = 1; ; round++) {
      try {
        return await this.attempt(work);
      } catch (error) {
        if (!isTransactionConflict(error)) throw error;
        if (round >= maxTransactionAttempts) {
          this.conflictCounts.gaveUp += 1;
          throw new TransactionConflictError(round, error);
        }
        this.conflictCounts.retried += 1;
        await jitter(round);
      }
    }
  }

  conflicts(): ConflictStats {
    return { ...this.conflictCounts };
  }

  async ping(): Promise<boolean> {
    try {
      await this.query('select 1', []);
      return true;
    } catch {
      return false;
    }
  }
}

/** Refused work: the database was closed (the program is stopping). Answered as unavailable. */
export class DatabaseClosedError extends Error {
  readonly code = 'ERR_DATABASE_CLOSED';
  constructor() {
    super('the database connections are closed');
    this.name = 'DatabaseClosedError';
  }
}

/** No connection came free in time: the database is slow, unreachable or saturated. */
export class ConnectionTimeoutError extends Error {
  readonly code = 'ERR_CONNECTION_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`no database connection within ${timeoutMs} ms`);
    this.name = 'ConnectionTimeoutError';
  }
}

/** A transaction still aborted as a conflict after its last attempt: nothing of it was stored. */
export class TransactionConflictError extends Error {
  readonly code = 'ERR_TRANSACTION_CONFLICT';
  constructor(attempts: number, cause: unknown) {
    super(`the transaction conflicted with concurrent ones ${attempts} times`, { cause });
    this.name = 'TransactionConflictError';
  }
}

/** A transaction refuses statements once it has committed or rolled back. */
export class TransactionEndedError extends Error {
  constructor() {
    super('the transaction has already ended');
    this.name = 'TransactionEndedError';
  }
}
