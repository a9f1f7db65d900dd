/** Driver codes that mean "the database cannot be reached or used right now", not "the query is wrong". */
const unavailableCodes = new Set([
  // Network and server state (mysql2 and Node sockets)
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_QUERY_TIMEOUT',
  'ER_OPTION_PREVENTS_STATEMENT',
  // A Galera node outside the primary component ("WSREP has not yet prepared node for application use")
  'ER_UNKNOWN_COM_ERROR',
  // SQLite (better-sqlite3)
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT',
  // Our data access: no connection in time, or the program is stopping
  'ERR_CONNECTION_TIMEOUT',
  'ERR_DATABASE_CLOSED',
  'ERR_NODE_NOT_READY',
]);

/** Knex's own messages when its pool cannot hand out a connection (timed out, or destroyed). */
const poolFailure = /^(Knex: Timeout acquiring a connection|Unable to acquire a connection)/;

/** A driver error's own field (`code`, `errno`, `sqlState`, `fatal`), if it has one. */
function field(error: Error, name: 'code' | 'errno' | 'sqlState' | 'fatal'): unknown {
  return Reflect.get(error, name);
}

/** True when `test` holds for the error or one of its first causes (Knex and our own errors wrap driver errors). */
function someCause(error: unknown, test: (current: Error) => boolean): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (test(current)) return true;
    current = current.cause;
  }
  return false;
}

/** The driver code of an error (`ER_DUP_ENTRY`, `SQLITE_BUSY`, …), if any. */
export function errorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = field(error, 'code');
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when an error says the database is unavailable (answered as 503 and retried
 * later), as opposed to a bug (500): unreachable, refusing, or aborting the work as a
 * conflict with concurrent work (see isTransactionConflict).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return someCause(error, (current) => {
    const code = errorCode(current);
    return (
      isConflictError(current) ||
      (code !== undefined &&
        (unavailableCodes.has(code) || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_BUSY'))) ||
      // mysql2 marks `fatal` the errors after which its connection is gone, some without a code:
      // e.g. a ROLLBACK on a connection reset mid-transaction, whose error replaces the original.
      field(current, 'fatal') === true ||
      current.name === 'KnexTimeoutError' ||
      poolFailure.test(current.message)
    );
  });
}

/**
 * True when a statement broke a unique index, on MySQL (ER_DUP_ENTRY) or SQLite; with
 * `column`, only when the message names that column or its index.
 */
export function isUniqueViolation(error: unknown, column?: string): boolean {
  const code = errorCode(error);
  const unique =
    code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  return unique && error instanceof Error && (column === undefined || error.message.includes(column));
}

/** True when a statement inserted a row whose primary key is taken, on MySQL or SQLite. */
export function isPrimaryKeyViolation(error: unknown): boolean {
  const code = errorCode(error);
  return (
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    (code === 'ER_DUP_ENTRY' && error instanceof Error && /for key '(\w+\.)?PRIMARY'/.test(error.message))
  );
}

/**
 * True when the database aborted work as a conflict with concurrent work, at any
 * statement or at COMMIT: InnoDB's deadlock victim, or a Galera certification failure
 * (errno 1213, SQLSTATE 40001), also once wrapped (a transaction given up after its last
 * attempt carries the last conflict as its cause). Nothing of the work was stored; it may
 * be run again.
 */
export function isTransactionConflict(error: unknown): boolean {
  return someCause(error, isConflictError);
}

function isConflictError(error: Error): boolean {
  return (
    field(error, 'errno') === 1213 || field(error, 'sqlState') === '40001' || errorCode(error) === 'ER_LOCK_DEADLOCK'
  );
}
