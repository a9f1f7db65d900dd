import type { Principal } from './principal';

interface Entry {
  principal: Principal;
  expiresAt: number;
}

/**
 * Successful token validations of this process, keyed by the SHA-256 of the token, so
 * most requests skip the round trip to the auth service.
 *
 * Staleness bound: an entry lives at most `ttlMs` (default 1 s, never past the token's
 * own expiry). Sessions ended through this gateway are evicted at once: a logout, a
 * refresh token recognised as reused, a session ended by its owner, every other session
 * of an account whose password changed, every session of an account logged out
 * everywhere or disabled. Ended only through another replica, they end here within
 * `ttlMs`. Failed validations are never stored.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  /** Sessions ended through this gateway, by when: validations started before then are not stored. */
  private readonly forgotten = new Map<string, number>();
  /** Accounts whose sessions (but `keep`) ended through this gateway, by when, likewise. */
  private readonly forgottenUsers = new Map<string, { at: number; keep: string | undefined }>();

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    readonly now: () => number = Date.now,
    /** Longer than any validation call can take (its deadline). */
    private readonly forgetHorizonMs = 60_000,
  ) {}

  get(key: string): Principal | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.principal;
  }

  /**
   * Remembers a validation until the TTL passes or the token expires, whichever is
   * first, unless its session was ended after the validation started (the auth service
   * may have answered just before the logout).
   */
  set(key: string, principal: Principal, tokenExpiresAtMs: number, validationStartedAt: number): void {
    if (this.ttlMs === 0) return;
    if ((this.forgotten.get(principal.sessionId) ?? -Infinity) >= validationStartedAt) return;
    const user = this.forgottenUsers.get(principal.userId);
    if (user && user.at >= validationStartedAt && user.keep !== principal.sessionId) return;
    const expiresAt = Math.min(this.now() + this.ttlMs, tokenExpiresAtMs);
    if (expiresAt <= this.now()) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.evictOldest();
    this.entries.set(key, { principal, expiresAt });
  }

  /** Drops every entry of a session (logout), whichever of its tokens they were stored under. */
  forgetSession(sessionId: string): void {
    for (const [key, entry] of this.entries) {
      if (entry.principal.sessionId === sessionId) this.entries.delete(key);
    }
    this.remember(this.forgotten, sessionId, this.now());
  }

  /** Drops every entry of an account's sessions but `keep` (a password change keeps the caller's). */
  forgetUser(userId: string, keep?: string): void {
    for (const [key, entry] of this.entries) {
      if (entry.principal.userId === userId && entry.principal.sessionId !== keep) this.entries.delete(key);
    }
    const now = this.now();
    this.remember(this.forgottenUsers, userId, { at: now, keep });
  }

  /** Notes what ended when; oldest first, what no validation still in flight can predate goes. */
  private remember<Value extends number | { at: number }>(ended: Map<string, Value>, key: string, value: Value): void {
    ended.delete(key);
    ended.set(key, value);
    const horizon = this.now() - this.forgetHorizonMs;
    for (const [id, noted] of ended) {
      if ((typeof noted === 'number' ? noted : noted.at) > horizon) break;
      ended.delete(id);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Insertion order is expiry order (every entry gets the same TTL), so the first entries go first. */
  private evictOldest(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (this.entries.size < this.maxEntries && entry.expiresAt > now) return;
      this.entries.delete(key);
    }
  }
}
