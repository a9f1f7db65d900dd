/** Driver error codes that mean "the database cannot be reached or cannot serve now". */
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_LOCK_WAIT_TIMEOUT',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
]);

/**
 * True when an error says the database is out of reach (as opposed to a bug): the
 * caller should hear UNAVAILABLE and retry later. Covers a pool that timed out or has
 * been destroyed (knex) and the connection errors of mysql2 and better-sqlite3.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'KnexTimeoutError' || error.message === 'Unable to acquire a connection') return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return unavailableCodes.has(code) || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_BUSY');
}
