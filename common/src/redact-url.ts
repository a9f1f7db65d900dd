/** Query parameters whose value is a secret whatever it looks like (names compared without regard to case). */
const secretNames = /token|password|secret|api[-_]?key/i;

/**
 * A value shaped like a JWT (compact JWS: three base64url segments; header and payload
 * JSON, so the first two start `eyJ`), or long enough segments to be one.
 */
const jwtShape =
  /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]*/;

const redacted = '[redacted]';

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * A request target fit for a log line: the value of every query parameter named like a
 * credential (`access_token`, `token`, `refresh_token`, anything with `token`,
 * `password`, `secret` or `api_key` in its name) and of any parameter or path segment
 * shaped like a JWT becomes `[redacted]`, as headers already are. Names are judged
 * percent-decoded, so `access%5Ftoken` is caught too. The rest is kept as sent.
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const safePath = path
    .split('/')
    .map((segment) => (jwtShape.test(decoded(segment)) ? redacted : segment))
    .join('/');
  if (queryAt === -1) return safePath;
  const query = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      const value = equals === -1 ? '' : pair.slice(equals + 1);
      if (jwtShape.test(decoded(name))) return redacted;
      if (secretNames.test(decoded(name)) || jwtShape.test(decoded(value))) return `${name}=${redacted}`;
      return pair;
    })
    .join('&');
  return `${safePath}?${query}`;
}
