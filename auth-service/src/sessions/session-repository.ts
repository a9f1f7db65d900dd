import type { Knex } from 'knex';
import { toDbTime } from '../../../common/src/db-time';
import type { Role } from '../users/user-repository';

export type RevokeReason = 'logout' | 'refresh_token_reuse' | 'password_reset';

/** Where a session was opened from, as the gateway saw it at login. */
export interface SessionOrigin {
  clientAddress: string | null;
  userAgent: string | null;
}

export interface SessionState {
  userId: string;
  refreshTokenHash: string;
  revoked: boolean;
}

export interface SessionPrincipal {
  userId: string;
  username: string;
  role: Role;
  revoked: boolean;
}

/** Which session, and whose. */
interface SessionKey {
  id: string;
  userId: string;
}

/** A session being opened: its first refresh token's digest and expiry. */
export interface NewSession extends SessionKey {
  refreshTokenHash: string;
  refreshExpiresAt: Date;
  origin: SessionOrigin;
  now: Date;
}

/** A refresh: the presented token's digest, and the next token's. */
export interface Rotation extends SessionKey {
  currentHash: string;
  nextHash: string;
  nextExpiresAt: Date;
  now: Date;
}

/**
 * One row per session. It holds the digest of the session's CURRENT refresh token
 * only: a rotated-away token no longer matches, which is how reuse is recognised.
 */
export class SessionRepository {
  constructor(private readonly db: Knex) {}

  async insert(session: NewSession): Promise<void> {
    const timestamp = toDbTime(session.now);
    await this.db('sessions').insert({
      id: session.id,
      user_id: session.userId,
      refresh_token_hash: session.refreshTokenHash,
      refresh_expires_at: toDbTime(session.refreshExpiresAt),
      revoked_at: null,
      revoke_reason: null,
      last_used_at: timestamp,
      client_address: session.origin.clientAddress,
      user_agent: session.origin.userAgent,
      created_at: timestamp,
      updated_at: timestamp,
    });
  }

  /**
   * Swaps the current refresh token for the next one, only if the presented one is
   * still current and the session live. Of two racing rotations exactly one matches.
   */
  async rotate(rotation: Rotation): Promise<boolean> {
    const timestamp = toDbTime(rotation.now);
    const updated = await this.db('sessions')
      .where({ id: rotation.id, user_id: rotation.userId, refresh_token_hash: rotation.currentHash })
      .whereNull('revoked_at')
      .andWhere('refresh_expires_at', '>', timestamp)
      .update({
        refresh_token_hash: rotation.nextHash,
        refresh_expires_at: toDbTime(rotation.nextExpiresAt),
        last_used_at: timestamp,
        updated_at: timestamp,
      });
    return updated === 1;
  }

  async findState(id: string): Promise<SessionState | null> {
    const row: { user_id: string; refresh_token_hash: string; revoked_at: string | null } | undefined = await this.db(
      'sessions',
    )
      .select('user_id', 'refresh_token_hash', 'revoked_at')
      .where('id', id)
      .first();
    return row
      ? { userId: row.user_id, refreshTokenHash: row.refresh_token_hash, revoked: row.revoked_at !== null }
      : null;
  }

  /** The one read behind ValidateToken: the session by primary key, joined to its user. */
  async findPrincipal(id: string): Promise<SessionPrincipal | null> {
    const row: { user_id: string; revoked_at: string | null; username: string; role: Role } | undefined = await this.db(
      'sessions',
    )
      .join('users', 'users.id', 'sessions.user_id')
      .select('sessions.user_id', 'sessions.revoked_at', 'users.username', 'users.role')
      .where('sessions.id', id)
      .first();
    return row
      ? { userId: row.user_id, username: row.username, role: row.role, revoked: row.revoked_at !== null }
      : null;
  }

  /** Revokes a live session; false when there was none to revoke. */
  async revoke(id: string, userId: string, reason: RevokeReason, now: Date): Promise<boolean> {
    const timestamp = toDbTime(now);
    const updated = await this.db('sessions')
      .where({ id, user_id: userId })
      .whereNull('revoked_at')
      .update({ revoked_at: timestamp, revoke_reason: reason, updated_at: timestamp });
    return updated === 1;
  }

  async revokeAllOfUser(userId: string, reason: RevokeReason, now: Date): Promise<number> {
    const timestamp = toDbTime(now);
    return this.db('sessions')
      .where('user_id', userId)
      .whereNull('revoked_at')
      .update({ revoked_at: timestamp, revoke_reason: reason, updated_at: timestamp });
  }

  /**
   * Deletes up to `batchSize` sessions whose refresh token has expired: by then every
   * token of the session is expired too, so the row no longer decides anything.
   */
  async deleteExpired(now: Date, batchSize: number): Promise<number> {
    const ids: string[] = await this.db('sessions')
      .where('refresh_expires_at', '<=', toDbTime(now))
      .orderBy('refresh_expires_at')
      .limit(batchSize)
      .pluck('id');
    if (ids.length === 0) return 0;
    return this.db('sessions').whereIn('id', ids).del();
  }
}
