import type { SessionPrincipal } from './session-repository';

/**
 * A per-process memory of sessions, so ValidateToken can skip the database for a
 * session it looked at a moment ago. Staleness bound: an entry lives `ttlMs` at most.
 * Sessions ended on this replica (logout, reuse detection, a session ended by its owner,
 * every session of an account whose password changed or that was disabled) end here at
 * once: they are marked ended, and a read already under way cannot bring them back. On
 * other replicas, and for role changes made elsewhere, changes show within `ttlMs`.
 * `ttlMs` 0 turns the cache off.
 */
export class SessionCache {
  /** `null`: the session was ended on this replica. */
  private readonly entries = new Map<string, { principal: SessionPrincipal | null; expiresAt: number }>();
  /** Accounts whose sessions were ended here (but `keep`), until when no read of theirs is remembered. */
  private readonly endedUsers = new Map<string, { keep: string | undefined; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The remembered session, `null` if it was ended here, `undefined` if unknown. */
  get(sessionId: string, now: number): SessionPrincipal | null | undefined {
    const entry = this.entries.get(sessionId);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > now) return entry.principal;
    this.entries.delete(sessionId);
    return undefined;
  }

  /** Remembers a live session just read, unless it was ended here meanwhile. */
  remember(sessionId: string, principal: SessionPrincipal, now: number): void {
    if (this.ttlMs === 0 || principal.revoked) return;
    const existing = this.entries.get(sessionId);
    if (existing?.principal === null && existing.expiresAt > now) return;
    const ended = this.endedUsers.get(principal.userId);
    if (ended && ended.until > now && ended.keep !== sessionId) return;
    this.store(sessionId, principal, now);
  }

  /** Every session of the account but `keep` has just been ended on this replica. */
  endedUser(userId: string, now: number, keep?: string): void {
    if (this.ttlMs === 0) return;
    for (const [sessionId, entry] of this.entries) {
      if (entry.principal?.userId === userId && sessionId !== keep) entry.principal = null;
    }
    this.endedUsers.delete(userId);
    this.endedUsers.set(userId, { keep, until: now + this.ttlMs });
    for (const [user, ended] of this.endedUsers) {
      if (ended.until > now) break;
      this.endedUsers.delete(user);
    }
  }

  /** The session has just been ended on this replica. */
  ended(sessionId: string, now: number): void {
    if (this.ttlMs === 0) return;
    this.store(sessionId, null, now);
  }

  private store(sessionId: string, principal: SessionPrincipal | null, now: number): void {
    this.entries.delete(sessionId);
    // Maps keep insertion order: when full, the oldest entry goes first.
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(sessionId, { principal, expiresAt: now + this.ttlMs });
  }
}
