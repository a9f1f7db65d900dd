import { createSecretKey, hash, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { JwtSettings } from '../config';
import { UnauthenticatedError } from '../errors';

export type TokenType = 'access' | 'refresh';

export interface TokenClaims {
  userId: string;
  sessionId: string;
  /** Unix seconds. */
  expiresAt: number;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: number;
  refreshExpiresAt: number;
}

const issuer = 'aletheia-auth';
const audience = 'aletheia';

interface Claims {
  typ?: unknown;
  sid?: unknown;
  sub?: unknown;
  exp?: unknown;
  jti?: unknown;
}

/** Only a digest of a refresh token is stored; tokens are long and random, so SHA-256 is enough. */
export function tokenDigest(token: string): string {
  return hash('sha256', token, 'hex');
}

/**
 * Signs and checks the two kinds of JWT. Each kind has its own secret and a `typ`
 * claim, so neither is ever accepted as the other. Keys are KeyObjects made once:
 * given a string, jsonwebtoken first tries to parse it as a public key on every call.
 */
export class TokenService {
  private readonly keys: Record<TokenType, KeyObject>;
  private readonly ttlSeconds: Record<TokenType, number>;
  private readonly verifyOptions: jwt.VerifyOptions & { complete?: false } = {
    algorithms: ['HS256'],
    issuer,
    audience,
  };

  constructor(settings: JwtSettings) {
    this.keys = {
      access: createSecretKey(Buffer.from(settings.accessSecret, 'utf8')),
      refresh: createSecretKey(Buffer.from(settings.refreshSecret, 'utf8')),
    };
    this.ttlSeconds = { access: settings.accessTtlSeconds, refresh: settings.refreshTtlSeconds };
  }

  get accessTtlSeconds(): number {
    return this.ttlSeconds.access;
  }

  /**
   * A new token pair. `rotatedFrom`: the digest of the refresh token this pair replaces.
   * Its ids are then derived from that digest instead of drawn at random, so issuing
   * again for the same rotation (same session, digest and second) signs the very same
   * pair: HS256 is deterministic. A retried refresh within the grace window gets exactly
   * what the rotation gave, and two tabs end up holding one current token.
   */
  issue(userId: string, sessionId: string, now = Date.now(), rotatedFrom?: string): IssuedTokens {
    const issuedAt = Math.floor(now / 1000);
    const accessExpiresAt = issuedAt + this.ttlSeconds.access;
    const refreshExpiresAt = issuedAt + this.ttlSeconds.refresh;
    const id = (type: TokenType) =>
      rotatedFrom === undefined ? randomUUID() : hash('sha256', `${type}:${rotatedFrom}`, 'hex');
    return {
      accessToken: this.sign('access', userId, sessionId, issuedAt, accessExpiresAt, id('access')),
      refreshToken: this.sign('refresh', userId, sessionId, issuedAt, refreshExpiresAt, id('refresh')),
      accessExpiresAt,
      refreshExpiresAt,
    };
  }

  /** The claims of a valid token of this kind; anything else is UNAUTHENTICATED. */
  verify(type: TokenType, token: string): TokenClaims {
    let claims: Claims | string;
    try {
      claims = jwt.verify(token, this.keys[type], this.verifyOptions);
    } catch {
      throw new UnauthenticatedError(`invalid or expired ${type} token`);
    }
    // A token whose payload is not a JSON object is none of ours.
    if (typeof claims === 'string') throw new UnauthenticatedError(`invalid or expired ${type} token`);
    const { typ, sid, sub, exp, jti } = claims;
    if (
      typ !== type ||
      typeof sid !== 'string' ||
      typeof sub !== 'string' ||
      typeof exp !== 'number' ||
      typeof jti !== 'string'
    ) {
      throw new UnauthenticatedError(`invalid or expired ${type} token`);
    }
    return { userId: sub, sessionId: sid, expiresAt: exp };
  }

  private sign(
    type: TokenType,
    userId: string,
    sessionId: string,
    issuedAt: number,
    expiresAt: number,
    tokenId: string,
  ): string {
    return jwt.sign({ typ: type, sid: sessionId, iat: issuedAt, exp: expiresAt }, this.keys[type], {
      algorithm: 'HS256',
      issuer,
      audience,
      subject: userId,
      jwtid: tokenId,
    });
  }
}
