import { createHash } from 'node:crypto';
import { ProblemError } from '../http/problem';
import type { AuthClient } from './auth-client';
import type { Principal, Role } from './principal';
import type { TokenCache } from './token-cache';

const roles: ReadonlySet<string> = new Set<Role>(['USER', 'ADMIN']);

function cacheKey(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}

/** Answers "who holds this access token?" from the cache, else from the auth service. */
export class TokenValidator {
  constructor(
    private readonly auth: AuthClient,
    private readonly cache: TokenCache,
  ) {}

  /** Synchronous on a cache hit, so most requests pay no promise or round trip. */
  validate(token: string, requestId: string): Principal | Promise<Principal> {
    const key = cacheKey(token);
    return this.cache.get(key) ?? this.validateRemotely(key, token, requestId);
  }

  /** The session has ended through this gateway: none of its tokens may be reused from memory. */
  forgetSession(principal: Principal): void {
    this.cache.forgetSession(principal.sessionId);
  }

  private async validateRemotely(key: string, token: string, requestId: string): Promise<Principal> {
    const answer = await this.auth.validateToken(token, requestId);
    if (!roles.has(answer.role)) {
      throw new ProblemError('internal-error', 'The request could not be completed.', {
        cause: new Error(`auth service returned an unknown role ${JSON.stringify(answer.role)}`),
      });
    }
    const principal: Principal = {
      userId: answer.userId,
      username: answer.username,
      role: answer.role as Role,
      sessionId: answer.sessionId,
    };
    this.cache.set(key, principal, Number(answer.expiresAt) * 1000);
    return principal;
  }
}
