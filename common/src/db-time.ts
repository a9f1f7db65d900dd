/**
 * Timestamps are stored as UTC text `YYYY-MM-DD HH:MM:SS.mmm`: a DATETIME(3) on MySQL
 * (the connection runs in UTC and returns date strings) and sortable text on SQLite,
 * so both databases compare and return them identically.
 */
export function toDbTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

export function fromDbTime(value: string): Date {
  return new Date(`${value.replace(' ', 'T')}Z`);
}

export function fromDbTimeIso(value: string): string {
  return fromDbTime(value).toISOString();
}
