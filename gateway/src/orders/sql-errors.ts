/**
 * True when a statement broke a unique index, on MySQL (ER_DUP_ENTRY) or SQLite; with
 * `column`, only when the message names that column or its index.
 */
export function isUniqueViolation(error: unknown, column?: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  const unique =
    code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  return unique && (column === undefined || error.message.includes(column));
}

/** True when a statement inserted a row whose primary key is taken, on MySQL or SQLite. */
export function isPrimaryKeyViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    (code === 'ER_DUP_ENTRY' && /for key '(\w+\.)?PRIMARY'/.test(error.message))
  );
}
