import { dictionary } from '@zxcvbn-ts/language-common';

/** The published list DESIGN.md names: its first 10,000 entries, compared without regard to case. */
const commonPasswords = new Set(dictionary['passwords-common'].slice(0, 10_000));

const codePoints = (text: string) => [...text].length;

/**
 * The password rules DESIGN.md adds to the schema: 8 to 128 code points as sent and
 * after NFC, not the username, not one of the 10,000 most common passwords.
 */
export function passwordBreaksRules(username: unknown, password: unknown): boolean {
  if (typeof password !== 'string') return true;
  const normalized = password.normalize('NFC');
  const lengths = [codePoints(password), codePoints(normalized)];
  return (
    lengths.some((length) => length < 8 || length > 128) ||
    (typeof username === 'string' && normalized.toLowerCase() === username.toLowerCase()) ||
    commonPasswords.has(normalized.toLowerCase())
  );
}
