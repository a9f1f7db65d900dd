import type { Knex } from 'knex';
import { fromDbTime, toDbTime } from '../../../common/src/db-time';
import type { Role } from '../users/user-repository';

export type RevokeReason =
  | 'logout'
  | 'refresh_token_reuse'
  | 'password_reset'
  | 'password_change'
  | 'ended_by_owner'
  | 'logout_all'
  | 'account_disabled';

/** A session list shows at most this many (the most recently used). */
export const maxListedSessions = 100;

/** Where a session was opened from, as the gateway saw it at login. */
export interface SessionOrigin {
  clientAddress: string | null;
  userAgent: string | null;
}

export interface SessionState {
  userId: string;
  refreshTokenHash: string;
  /** The refresh token rotated away last, and when (null before the first rotation). */
  previousRefreshTokenHash: string | null;
  rotatedAt: Date | null;
  revoked: boolean;
}

export interface SessionPrincipal {
  userId: string;
  username: string;
  role: Role;
  /** The session was revoked, or its account disabled: either way it has ended. */
  revoked: boolean;
}

/** A live session as its owner may see it: never a token or a digest of one. */
export interface SessionSummary {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  clientAddress: string | null;
  userAgent: string | null;
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

interface StateRow {
  user_id: string;
  refresh_token_hash: string;
  previous_refresh_token_hash: string | null;
  rotated_at: string | null;
  revoked_at: string | null;
}

interface PrincipalRow {
  user_id: string;
  revoked_at: string | null;
  username: string;
  role: Role;
  disabled_at: string | null;
}

interface SummaryRow {
  id: string;
  created_at: string;
  last_used_at: string;
  client_address: string | null;
  user_agent: string | null;
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
   * still current, the session live and its account not disabled; the presented one is
   * kept as the previous token, with the moment of the rotation. Of two racing rotations
   * exactly one matches.
   */
  async rotate(rotation: Rotation): Promise<boolean> {
    const timestamp = toDbTime(rotation.now);
    const updated = await this.db('sessions')
      .where({ id: rotation.id, user_id: rotation.userId, refresh_token_hash: rotation.currentHash })
      .whereNull('revoked_at')
      .andWhere('refresh_expires_at', '>', timestamp)
      .whereNotExists((disabled) =>
        disabled.select('id').from('users').where('users.id', rotation.userId).whereNotNull('users.disabled_at'),
      )
      .update({
        previous_refresh_token_hash: rotation.currentHash,
        rotated_at: timestamp,
        refresh_token_hash: rotation.nextHash,
        refresh_expires_at: toDbTime(rotation.nextExpiresAt),
        last_used_at: timestamp,
        updated_at: timestamp,
      });
    return updated === 1;
  }

  async findState(id: string): Promise<SessionState | null> {
    const row: StateRow | undefined = await this.db('sessions')
      .select('user_id', 'refresh_token_hash', 'previous_refresh_token_hash', 'rotated_at', 'revoked_at')
      .where('id', id)
      .first();
    return row
      ? {
          userId: row.user_id,
          refreshTokenHash: row.refresh_token_hash,
          previousRefreshTokenHash: row.previous_refresh_token_hash,
          rotatedAt: row.rotated_at === null ? null : fromDbTime(row.rotated_at),
          revoked: row.revoked_at !== null,
        }
      : null;
  }

  /** The one read behind ValidateToken: the session by primary key, joined to its user. */
  async findPrincipal(id: string): Promise<SessionPrincipal | null> {
    const row: PrincipalRow | undefined = await this.db('sessions')
      .join('users', 'users.id', 'sessions.user_id')
      .select('sessions.user_id', 'sessions.revoked_at', 'users.username', 'users.role', 'users.disabled_at')
      .where('sessions.id', id)
      .first();
    return row
      ? {
          userId: row.user_id,
          username: row.username,
          role: row.role,
          revoked: row.revoked_at !== null || row.disabled_at !== null,
        }
      : null;
  }

  /** The user's live sessions, the most recently used first (at most maxListedSessions). */
  async listLive(userId: string, now: Date): Promise<SessionSummary[]> {
    const rows: SummaryRow[] = await this.db('sessions')
      .select('id', 'created_at', 'last_used_at', 'client_address', 'user_agent')
      .where('user_id', userId)
      .whereNull('revoked_at')
      .andWhere('refresh_expires_at', '>', toDbTime(now))
      .orderBy([
        { column: 'last_used_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(maxListedSessions);
    return rows.map((row) => ({
      id: row.id,
      createdAt: fromDbTime(row.created_at),
      lastUsedAt: fromDbTime(row.last_used_at),
      clientAddress: row.client_address,
      userAgent: row.user_agent,
    }));
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

  /** Revokes every live session of the user, but `keep` when given; returns how many. */
  async revokeAllOfUser(userId: string, reason: RevokeReason, now: Date, keep?: string): Promise<number> {
    const timestamp = toDbTime(now);
    const query = this.db('sessions').where('user_id', userId).whereNull('revoked_at');
    return (keep === undefined ? query : query.whereNot('id', keep)).update({
      revoked_at: timestamp,
      revoke_reason: reason,
      updated_at: timestamp,
    });
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
