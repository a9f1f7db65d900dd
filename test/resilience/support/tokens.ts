import { createHmac, randomBytes } from 'node:crypto';

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

export function decodeJwt(token: string): DecodedJwt {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}

const hmacNames: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/** Signs header and payload exactly as given (HMAC), so any claim or header can be forged. */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string): string {
  const alg = String(header.alg);
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  if (alg === 'none') return `${input}.`;
  const hash = hmacNames[alg];
  if (!hash) throw new Error(`cannot sign ${alg}`);
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

/**
 * Hostile variants of a real access token: each must be refused (401) by every
 * protected route. `secret` is the real JWT_SECRET the campaign configured, used only
 * where the attack needs a validly signed token (expired, wrong algorithm, wrong type).
 */
export function forgedTokens(
  access: string,
  refresh: string,
  secrets: { jwtSecret: string; jwtRefreshSecret: string },
): Array<{ name: string; token: string }> {
  const { header, payload } = decodeJwt(access);
  const now = Math.floor(Date.now() / 1000);
  const wrongSecret = randomBytes(32).toString('hex');
  const [h, p] = access.split('.');
  return [
    { name: 'signed with a wrong secret', token: signJwt(header, payload, wrongSecret) },
    {
      name: 'expired, signed with the real secret',
      token: signJwt(header, { ...payload, iat: now - 7200, exp: now - 3600 }, secrets.jwtSecret),
    },
    { name: 'alg none', token: signJwt({ ...header, alg: 'none' }, payload, '') },
    { name: 'alg none without the final dot', token: signJwt({ ...header, alg: 'none' }, payload, '').slice(0, -1) },
    { name: 'alg NONE', token: `${base64url(JSON.stringify({ ...header, alg: 'NONE' }))}.${p}.` },
    { name: 'HS512 with the real secret', token: signJwt({ ...header, alg: 'HS512' }, payload, secrets.jwtSecret) },
    {
      name: 'RS256 header over an HMAC signature',
      token: `${base64url(JSON.stringify({ ...header, alg: 'RS256' }))}.${p}.${access.split('.')[2]}`,
    },
    {
      name: 'payload promoted to ADMIN, original signature',
      token: `${h}.${base64url(JSON.stringify({ ...payload, role: 'ADMIN' }))}.${access.split('.')[2]}`,
    },
    {
      name: 'subject changed, original signature',
      token: `${h}.${base64url(JSON.stringify({ ...payload, sub: '00000000-0000-7000-8000-000000000000' }))}.${access.split('.')[2]}`,
    },
    { name: 'signed with the refresh secret', token: signJwt(header, payload, secrets.jwtRefreshSecret) },
    { name: 'refresh token', token: refresh },
    { name: 'empty signature', token: `${h}.${p}.` },
    { name: 'truncated', token: access.slice(0, access.length - 5) },
    { name: 'two segments', token: `${h}.${p}` },
    { name: 'four segments', token: `${access}.${p}` },
    { name: 'not base64', token: '!!!.@@@.###' },
    { name: 'garbage', token: randomBytes(48).toString('base64url') },
    { name: 'very long', token: `${h}.${'A'.repeat(6000)}.${access.split('.')[2]}` },
    { name: 'JSON array payload', token: signJwt(header, [] as unknown as Record<string, unknown>, secrets.jwtSecret) },
  ];
}
