/**
 * What an unexpected error may say in a log line. Knex prefixes driver messages with
 * the SQL and its bindings (which can hold password hashes), so errors from a driver
 * are logged by type and code only.
 */
export function loggableError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const [code, errno, sqlMessage]: unknown[] = ['code', 'errno', 'sqlMessage'].map((name) => Reflect.get(error, name));
  const frames = error.stack?.split('\n').slice(1).join('\n');
  if (code !== undefined) return { type: error.name, code, errno, sqlMessage, stack: frames };
  return { type: error.name, message: error.message, stack: frames };
}
