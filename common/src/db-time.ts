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

/** The stored form exactly as toDbTime writes it (MySQL's binary rows are padded to it). */
const storedForm = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/;

/**
 * The ISO 8601 form of a stored timestamp. The stored form differs from it only in two
 * characters, so they are swapped in place: every order in a response carries several
 * timestamps, and a Date per timestamp was a measurable share of a read's CPU. Any other
 * form (rows written by hand) goes through Date.
 */
export function fromDbTimeIso(value: string): string {
  if (storedForm.test(value)) return `${value.slice(0, 10)}T${value.slice(11)}Z`;
  return fromDbTime(value).toISOString();
}
