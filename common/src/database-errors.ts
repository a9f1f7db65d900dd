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
  // SQLite (better-sqlite3)
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT',
]);

/** Knex's own messages when its pool cannot hand out a connection (timed out, or destroyed). */
const poolFailure = /^(Knex: Timeout acquiring a connection|Unable to acquire a connection)/;

/**
 * True when an error says the database is unavailable (answered as 503 and retried
 * later), as opposed to a bug (500). Looks through `cause` chains, since knex and
 * our own errors wrap driver errors.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      (unavailableCodes.has(code) || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_BUSY'))
    )
      return true;
    // mysql2 marks `fatal` the errors after which its connection is gone, some without a code:
    // e.g. knex's ROLLBACK on a connection reset mid-transaction, whose error replaces the original.
    if ((current as { fatal?: unknown }).fatal === true) return true;
    if (current.name === 'KnexTimeoutError' || poolFailure.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}
