import type { SqlDatabase, SqlTransaction } from './types';

/** Where a repository's statements run: the database, or a transaction another module opened. */
export type SqlScope = SqlDatabase | SqlTransaction;

function isDatabase(scope: SqlScope): scope is SqlDatabase {
  return 'transaction' in scope;
}

/**
 * Runs `work` in a transaction: the enclosing one when `scope` is a transaction (its
 * owner commits, and retries the whole of it after a conflict), a new one otherwise.
 */
export function inTransaction<T>(scope: SqlScope, work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
  return isDatabase(scope) ? scope.transaction(work) : work(scope);
}
