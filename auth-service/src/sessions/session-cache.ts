import type { SessionPrincipal } from './session-repository';

/**
 * A per-process memory of sessions, so ValidateToken can skip the database for a
 * session it looked at a moment ago. Staleness bound: an entry lives `ttlMs` at most.
 * A logout or a reuse detection on this replica takes effect at once (the session is
 * marked ended here, and a read already under way cannot bring it back); on other
 * replicas, and for role changes made elsewhere, changes show within `ttlMs`.
 * `ttlMs` 0 turns the cache off.
 */
export class SessionCache {
  /** `null`: the session was ended on this replica. */
  private readonly entries = new Map<string, { principal: SessionPrincipal | null; expiresAt: number }>();

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
    this.store(sessionId, principal, now);
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
