/** bcrypt reads only the first 72 bytes of its input, so longer passwords are refused, never truncated. */
export const maxPasswordBytes = 72;
export const minPasswordBytes = 8;

const usernamePattern = /^[A-Za-z0-9_]{4,20}$/;

/** Usernames are unique without regard to case: this is the form the unique index holds. */
export function normalizeUsername(username: string): string {
  return username.toLowerCase();
}

/** Why a username cannot be registered, or null when it can. */
export function usernameProblem(username: string): string | null {
  return usernamePattern.test(username) ? null : 'username must be 4 to 20 letters, digits or underscores';
}

/** Why a password cannot be set for this username, or null when it can. */
export function passwordProblem(password: string, username: string): string | null {
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes < minPasswordBytes) return `password must be at least ${minPasswordBytes} bytes`;
  if (bytes > maxPasswordBytes) return `password must be at most ${maxPasswordBytes} bytes of UTF-8`;
  if (!/\p{L}/u.test(password)) return 'password must contain at least one letter';
  if (!/\p{Nd}/u.test(password)) return 'password must contain at least one digit';
  if (password.toLowerCase() === username.toLowerCase()) return 'password must not equal the username';
  return null;
}

/** Why these credentials can never match an account, or null when they might. */
export function loginCredentialsProblem(username: string, password: string): string | null {
  if (username === '' || password === '') return 'username and password are required';
  if (usernameProblem(username)) return 'username must be 4 to 20 letters, digits or underscores';
  if (Buffer.byteLength(password, 'utf8') > maxPasswordBytes) {
    return `password must be at most ${maxPasswordBytes} bytes of UTF-8`;
  }
  return null;
}
