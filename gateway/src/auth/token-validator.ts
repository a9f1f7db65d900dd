import { hash } from 'node:crypto';
import { ProblemError } from '../http/problem';
import type { AuthClient } from './auth-client';
import type { Caller } from './caller';
import type { Principal, Role } from './principal';
import type { TokenCache } from './token-cache';

function isRole(role: string): role is Role {
  return role === 'USER' || role === 'ADMIN';
}

function cacheKey(token: string): string {
  return hash('sha256', token, 'base64');
}

/**
 * Answers "who holds this access token?" from the cache, else from the auth service.
 * Concurrent requests with the same uncached token share one call.
 */
export class TokenValidator {
  private readonly inFlight = new Map<string, Promise<Principal>>();

  constructor(
    private readonly auth: AuthClient,
    private readonly cache: TokenCache,
  ) {}

  /** Synchronous on a cache hit, so most requests pay no promise, round trip or client-address lookup. */
  validate(token: string, caller: () => Caller): Principal | Promise<Principal> {
    const key = cacheKey(token);
    const cached = this.cache.get(key);
    if (cached) return cached;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.validateRemotely(key, token, caller()).finally(() => {
        if (this.inFlight.get(key) === pending) this.inFlight.delete(key);
      });
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** The session has ended through this gateway: none of its tokens may be reused from memory. */
  forgetSession(sessionId: string): void {
    this.cache.forgetSession(sessionId);
    // A call already under way may have been answered before the logout: later requests must not join it.
    this.inFlight.clear();
  }

  /** The account's sessions (but `keep`) have ended through this gateway, likewise. */
  forgetUser(userId: string, keep?: string): void {
    this.cache.forgetUser(userId, keep);
    this.inFlight.clear();
  }

  private async validateRemotely(key: string, token: string, caller: Caller): Promise<Principal> {
    const startedAt = this.cache.now();
    const answer = await this.auth.validateToken(token, caller);
    const role = answer.role;
    if (!isRole(role)) {
      throw new ProblemError('internal-error', 'The request could not be completed.', {
        cause: new Error(`auth service returned an unknown role ${JSON.stringify(answer.role)}`),
      });
    }
    const principal: Principal = {
      userId: answer.userId,
      username: answer.username,
      role,
      sessionId: answer.sessionId,
    };
    this.cache.set(key, principal, Number(answer.expiresAt) * 1000, startedAt);
    return principal;
  }
}
