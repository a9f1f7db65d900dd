/** UTF-8 length, the measure of bcrypt's 72-byte limit. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The password rules DESIGN.md adds to the schema (bytes, letter, digit, not the username). */
export function passwordBreaksRules(username: unknown, password: unknown): boolean {
  if (typeof password !== 'string') return true;
  return (
    utf8Length(password) < 8 ||
    utf8Length(password) > 72 ||
    !/\p{L}/u.test(password) ||
    !/\p{Nd}/u.test(password) ||
    username === password
  );
}
