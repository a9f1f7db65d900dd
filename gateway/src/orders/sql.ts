import type { Knex } from 'knex';
import { executePrepared, selectPrepared } from '../../../common/src/prepared-query';

/**
 * Plain SQL for the hot paths: the statements are written once, run the same on SQLite
 * and MySQL, and skip the query builder's per-call work (measured at about 0.15 ms of
 * CPU per statement, a large share of a request).
 */
export type Queryable = Knex | Knex.Transaction;
export type Binding = string | number | null;

export function isMySql(db: Queryable): boolean {
  return (db.client.config as { client?: unknown }).client === 'mysql2';
}

/**
 * Rows of a SELECT, as a prepared statement (parsed once per connection; about half the
 * CPU of the same statement through db.raw, on both sides of the connection).
 */
export function selectRows<T>(db: Queryable, sql: string, bindings: readonly Binding[]): Promise<T[]> {
  return selectPrepared<T>(db, sql, bindings as Binding[]);
}

/** Rows an INSERT, UPDATE or DELETE matched, as a prepared statement. */
export function execute(db: Queryable, sql: string, bindings: readonly Binding[]): Promise<number> {
  return executePrepared(db, sql, bindings as Binding[]);
}

/** `(?, ?, ?)` for n values. */
export function placeholders(count: number): string {
  return `(${Array.from({ length: count }, () => '?').join(', ')})`;
}

/** True when MySQL chose this transaction as a deadlock's victim (it was rolled back). */
function isDeadlock(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === 'ER_LOCK_DEADLOCK';
}

const maxDeadlockAttempts = 3;

/**
 * Runs `work` in a transaction, again from the start if InnoDB rolled it back as a
 * deadlock victim (possible when two transactions insert the same new counter row).
 * A failure is reported as the statement's own error: when the connection died, the
 * ROLLBACK that follows fails too, and its error would hide what happened.
 */
export async function inTransaction<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const trx = await db.transaction();
    // A BEGIN that failed (the connection died) still hands out a transaction, already
    // completed: its promise holds the real error, which must not turn into "query already complete".
    if (trx.isCompleted()) await trx.executionPromise;
    try {
      const result = await work(trx);
      await trx.commit();
      // commit() resolves even when the COMMIT fails: the transaction's promise says how it ended.
      await trx.executionPromise;
      return result;
    } catch (error) {
      if (!trx.isCompleted()) await trx.rollback().catch(() => undefined);
      if (attempt >= maxDeadlockAttempts || !isDeadlock(error)) throw error;
    }
  }
}
