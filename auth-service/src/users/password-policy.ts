import { dictionary } from '@zxcvbn-ts/language-common';

/** ASVS 5.0 §6.2.1 asks for at least 8. */
export const minPasswordLength = 8;
/**
 * ASVS 5.0 §6.2.9 asks for at least 64. 128 code points bound the work a password costs
 * (NFC normalisation and one HMAC before the hash) whatever a client sends.
 */
export const maxPasswordLength = 128;
export const commonPasswordCount = 10_000;

/**
 * The 10,000 most common passwords: the head of the `passwords-common` list of
 * @zxcvbn-ts/language-common (MIT), the passwords of the ten-million-password corpus Mark
 * Burnett published through Xato (2015), lower-cased and ranked by how often they occur.
 * Compared without regard to case, so `Password1` is `password1`.
 */
const commonPasswords: ReadonlySet<string> = new Set(dictionary['passwords-common'].slice(0, commonPasswordCount));

const usernamePattern = /^[A-Za-z0-9_]{4,20}$/;

/** Usernames are unique without regard to case: this is the form the unique index holds. */
export function normalizeUsername(username: string): string {
  return username.toLowerCase();
}

/** Why a username cannot be registered, or null when it can. */
export function usernameProblem(username: string): string | null {
  return usernamePattern.test(username) ? null : 'username must be 4 to 20 letters, digits or underscores';
}

/** Unicode code points: an emoji or a Hangul syllable is one, as JSON Schema's minLength/maxLength count. */
function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/**
 * Lengths count code points both as sent and after NFC normalisation: the contract's
 * schema counts the text as sent, and the password is hashed in NFC, so each bound
 * holds in both forms (they differ only for text that is not in NFC already).
 */
function lengthProblem(password: string): string | null {
  const counts = [codePoints(password), codePoints(password.normalize('NFC'))];
  if (counts.some((count) => count < minPasswordLength))
    return `password must be at least ${minPasswordLength} characters`;
  if (counts.some((count) => count > maxPasswordLength))
    return `password must be at most ${maxPasswordLength} characters`;
  return null;
}

/**
 * Why a password cannot be set for this username, or null when it can (ASVS 5.0 §6.2):
 * its length, not the username, not a common password. No composition rules.
 */
export function passwordProblem(password: string, username: string): string | null {
  const length = lengthProblem(password);
  if (length) return length;
  const folded = password.normalize('NFC').toLowerCase();
  if (folded === username.toLowerCase()) return 'password must not equal the username';
  if (commonPasswords.has(folded))
    return 'password is one of the 10,000 most common passwords; choose one that is harder to guess';
  return null;
}

/** Why these credentials can never match an account, or null when they might. */
export function loginCredentialsProblem(username: string, password: string): string | null {
  if (username === '' || password === '') return 'username and password are required';
  if (usernameProblem(username)) return 'username must be 4 to 20 letters, digits or underscores';
  if (lengthProblem(password)?.includes('at most')) return `password must be at most ${maxPasswordLength} characters`;
  return null;
}
