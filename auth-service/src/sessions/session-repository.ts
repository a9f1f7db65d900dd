import { fromDbTime, toDbTime } from '../../../common/src/db-time';
import { integer, nullableText, oneOf, placeholders, text } from '../../../common/src/sql/row';
import { inTransaction, type SqlScope } from '../../../common/src/sql/transaction-scope';
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
  /** The account's access version read with the password that was just proved. */
  accessVersion: number;
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

const roles: Record<Role, true> = { USER: true, ADMIN: true };

/**
 * A session is valid while it is not revoked, its account not disabled, and it was
 * opened or last confirmed under the account's current access version (which every
 * ending of all the account's sessions raises).
 */
const validSession = 's.revoked_at is null and u.disabled_at is null and s.access_version = u.access_version';

/**
 * One row per session. It holds the digest of the session's CURRENT refresh token
 * only: a rotated-away token no longer matches, which is how reuse is recognised.
 * Every write is one conditional statement, so the rules hold where row locks do not
 * reach (other nodes of a multi-primary cluster): two racing writes to one session both
 * write its row, and the database lets only one of them through.
 */
export class SessionRepository {
  constructor(private readonly db: SqlScope) {}

  /**
   * Opens the session, only if the account is still enabled and at the access version
   * its password was proved under; false otherwise (its sessions were ended meanwhile).
   */
  async insert(session: NewSession): Promise<boolean> {
    const timestamp = toDbTime(session.now);
    const inserted = await inTransaction(this.db, (tx) =>
      tx.execute(
        `insert into sessions (id, user_id, refresh_token_hash, refresh_expires_at, revoked_at, revoke_reason,
           last_used_at, client_address, user_agent, created_at, updated_at, access_version)
         select ?, id, ?, ?, null, null, ?, ?, ?, ?, ?, access_version from users
         where id = ? and access_version = ? and disabled_at is null`,
        [
          session.id,
          session.refreshTokenHash,
          toDbTime(session.refreshExpiresAt),
          timestamp,
          session.origin.clientAddress,
          session.origin.userAgent,
          timestamp,
          timestamp,
          session.userId,
          session.accessVersion,
        ],
      ),
    );
    return inserted === 1;
  }

  /**
   * Swaps the current refresh token for the next one, only if the presented one is
   * still current, the session valid and unexpired; the presented one is kept as the
   * previous token, with the moment of the rotation. Of two racing rotations exactly
   * one matches.
   */
  async rotate(rotation: Rotation): Promise<boolean> {
    const timestamp = toDbTime(rotation.now);
    const updated = await inTransaction(this.db, (tx) =>
      tx.execute(
        `update sessions set previous_refresh_token_hash = ?, rotated_at = ?, refresh_token_hash = ?,
           refresh_expires_at = ?, last_used_at = ?, updated_at = ?
         where id = ? and user_id = ? and refresh_token_hash = ? and revoked_at is null and refresh_expires_at > ?
           and access_version = (select access_version from users where id = ? and disabled_at is null)`,
        [
          rotation.currentHash,
          timestamp,
          rotation.nextHash,
          toDbTime(rotation.nextExpiresAt),
          timestamp,
          timestamp,
          rotation.id,
          rotation.userId,
          rotation.currentHash,
          timestamp,
          rotation.userId,
        ],
      ),
    );
    return updated === 1;
  }

  /** The session's tokens as stored; `revoked` also when it is no longer valid for any other reason. */
  async findState(id: string): Promise<SessionState | null> {
    const [row] = await this.db.query(
      `select s.user_id, s.refresh_token_hash, s.previous_refresh_token_hash, s.rotated_at,
         case when ${validSession} then 0 else 1 end as ended
       from sessions s join users u on u.id = s.user_id where s.id = ?`,
      [id],
    );
    if (!row) return null;
    const rotatedAt = nullableText(row, 'rotated_at');
    return {
      userId: text(row, 'user_id'),
      refreshTokenHash: text(row, 'refresh_token_hash'),
      previousRefreshTokenHash: nullableText(row, 'previous_refresh_token_hash'),
      rotatedAt: rotatedAt === null ? null : fromDbTime(rotatedAt),
      revoked: integer(row, 'ended') === 1,
    };
  }

  /** The one read behind ValidateToken: the session by primary key, joined to its user. */
  async findPrincipal(id: string): Promise<SessionPrincipal | null> {
    const [row] = await this.db.query(
      `select s.user_id, u.username, u.role, case when ${validSession} then 0 else 1 end as ended
       from sessions s join users u on u.id = s.user_id where s.id = ?`,
      [id],
    );
    return row
      ? {
          userId: text(row, 'user_id'),
          username: text(row, 'username'),
          role: oneOf(roles, row, 'role'),
          revoked: integer(row, 'ended') === 1,
        }
      : null;
  }

  /** The user's live sessions, the most recently used first (at most maxListedSessions). */
  async listLive(userId: string, now: Date): Promise<SessionSummary[]> {
    const rows = await this.db.query(
      `select s.id, s.created_at, s.last_used_at, s.client_address, s.user_agent
       from sessions s join users u on u.id = s.user_id
       where s.user_id = ? and ${validSession} and s.refresh_expires_at > ?
       order by s.last_used_at desc, s.id desc limit ${maxListedSessions}`,
      [userId, toDbTime(now)],
    );
    return rows.map((row) => ({
      id: text(row, 'id'),
      createdAt: fromDbTime(text(row, 'created_at')),
      lastUsedAt: fromDbTime(text(row, 'last_used_at')),
      clientAddress: nullableText(row, 'client_address'),
      userAgent: nullableText(row, 'user_agent'),
    }));
  }

  /** Revokes a live session; false when there was none to revoke. */
  async revoke(id: string, userId: string, reason: RevokeReason, now: Date): Promise<boolean> {
    const timestamp = toDbTime(now);
    const updated = await inTransaction(this.db, (tx) =>
      tx.execute(
        'update sessions set revoked_at = ?, revoke_reason = ?, updated_at = ? where id = ? and user_id = ? and revoked_at is null',
        [timestamp, reason, timestamp, id, userId],
      ),
    );
    return updated === 1;
  }

  /**
   * Ends every session of the user but `keep` (when given and still valid), in one
   * transaction: the account's access version is raised, `keep` moves with it (if it
   * was valid), and the others are marked revoked. A session opened or refreshed under the
   * old version on another node, even one committed in between, is no longer valid.
   * Returns how many sessions were revoked.
   */
  async revokeAllOfUser(userId: string, reason: RevokeReason, now: Date, keep?: string): Promise<number> {
    const timestamp = toDbTime(now);
    return inTransaction(this.db, async (tx) => {
      // The account's row first: its write lock orders concurrent endings instead of deadlocking them.
      await tx.execute('update users set access_version = access_version + 1, updated_at = ? where id = ?', [
        timestamp,
        userId,
      ]);
      if (keep !== undefined) {
        await tx.execute(
          `update sessions set access_version = access_version + 1, updated_at = ?
           where id = ? and user_id = ? and revoked_at is null
             and access_version + 1 = (select access_version from users where id = ?)`,
          [timestamp, keep, userId, userId],
        );
      }
      return tx.execute(
        `update sessions set revoked_at = ?, revoke_reason = ?, updated_at = ?
         where user_id = ? and revoked_at is null${keep === undefined ? '' : ' and id <> ?'}`,
        [timestamp, reason, timestamp, userId, ...(keep === undefined ? [] : [keep])],
      );
    });
  }

  /**
   * Deletes up to `batchSize` sessions whose refresh token has expired: by then every
   * token of the session is expired too, so the row no longer decides anything.
   */
  async deleteExpired(now: Date, batchSize: number): Promise<number> {
    const rows = await this.db.query(
      `select id from sessions where refresh_expires_at <= ? order by refresh_expires_at limit ${batchSize}`,
      [toDbTime(now)],
    );
    const ids = rows.map((row) => text(row, 'id'));
    if (ids.length === 0) return 0;
    return inTransaction(this.db, (tx) =>
      tx.execute(`delete from sessions where id in ${placeholders(ids.length)}`, ids),
    );
  }
}
