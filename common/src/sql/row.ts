import type { SqlRow } from './types';

/**
 * Readers for the columns of a row, each checking what the database handed back: the
 * one place where driver values become typed values. A value of another type is a
 * schema out of step with the code, reported as a bug.
 */
function unexpected(column: string, value: unknown): Error {
  return new Error(`column ${column} holds ${value === null ? 'null' : typeof value}, not what the schema says`);
}

export function text(row: SqlRow, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw unexpected(column, value);
  return value;
}

export function nullableText(row: SqlRow, column: string): string | null {
  const value = row[column];
  if (value === null) return null;
  if (typeof value !== 'string') throw unexpected(column, value);
  return value;
}

/** A count or other integer: a number on SQLite, a number or digits (BIGINT, SUM) on MySQL. */
export function integer(row: SqlRow, column: string): number {
  const value = row[column];
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  throw unexpected(column, value);
}

function isOneOf<T extends string>(values: Readonly<Record<T, unknown>>, value: string): value is T {
  return Object.hasOwn(values, value);
}

/** A value of a closed set (an enum column), given as a record keyed by its values. */
export function oneOf<T extends string>(values: Readonly<Record<T, unknown>>, row: SqlRow, column: string): T {
  const value = row[column];
  if (typeof value !== 'string' || !isOneOf(values, value)) throw unexpected(column, value);
  return value;
}

export function nullableOneOf<T extends string>(
  values: Readonly<Record<T, unknown>>,
  row: SqlRow,
  column: string,
): T | null {
  return row[column] === null ? null : oneOf(values, row, column);
}

/** `(?, ?, ?)` for n values. */
export function placeholders(count: number): string {
  return `(${Array.from({ length: count }, () => '?').join(', ')})`;
}
