import { v7 as uuidv7 } from 'uuid';
import type { Knex } from 'knex';
import { isUniqueViolation } from '../../../common/src/database-errors';
import { fromDbTime, toDbTime } from '../../../common/src/db-time';
import { AlreadyExistsError } from '../errors';
import { normalizeUsername } from './password-policy';

export type Role = 'USER' | 'ADMIN';

export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
  role: Role;
  failedLoginCount: number;
  lockedUntil: Date | null;
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  failed_login_count: number | string;
  locked_until: string | null;
}

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    role: row.role,
    failedLoginCount: Number(row.failed_login_count),
    lockedUntil: row.locked_until === null ? null : fromDbTime(row.locked_until),
  };
}

export class UserRepository {
  constructor(private readonly db: Knex) {}

  async findByUsername(username: string): Promise<UserRecord | null> {
    const row: UserRow | undefined = await this.db('users')
      .select('id', 'username', 'password_hash', 'role', 'failed_login_count', 'locked_until')
      .where('username_normalized', normalizeUsername(username))
      .first();
    return row ? toRecord(row) : null;
  }

  /** Inserts a user; the unique index decides races between two registrations of one name. */
  async insert(user: { username: string; passwordHash: string; role: Role }, now = new Date()): Promise<string> {
    const id = uuidv7();
    const timestamp = toDbTime(now);
    try {
      await this.db('users').insert({
        id,
        username: user.username,
        username_normalized: normalizeUsername(user.username),
        password_hash: user.passwordHash,
        role: user.role,
        failed_login_count: 0,
        locked_until: null,
        created_at: timestamp,
        updated_at: timestamp,
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AlreadyExistsError('username is already taken');
      throw error;
    }
    return id;
  }

  async update(id: string, changes: { passwordHash?: string; role?: Role }, now = new Date()): Promise<void> {
    await this.db('users')
      .where('id', id)
      .update({
        ...(changes.passwordHash === undefined
          ? {}
          : { password_hash: changes.passwordHash, failed_login_count: 0, locked_until: null }),
        ...(changes.role === undefined ? {} : { role: changes.role }),
        updated_at: toDbTime(now),
      });
  }

  /**
   * Counts one failed login in a single statement, so concurrent failures on several
   * replicas all count. The failure that reaches `maxFailures` sets the lock and
   * restarts the count, so counting starts afresh once the lock has expired. Failures
   * that race with a lock being set are not counted: false tells the caller the account
   * was locked meanwhile, so that attempt must be answered as locked out (otherwise
   * parallel guesses would all get a verdict before the lock is seen).
   * `locked_until` is assigned before the count: MySQL evaluates assignments left to
   * right with the new values, SQLite with the old ones, and this order reads the
   * same (old) count on both.
   */
  async recordFailedLogin(id: string, maxFailures: number, lockSeconds: number, now = new Date()): Promise<boolean> {
    const timestamp = toDbTime(now);
    const lockedUntil = toDbTime(new Date(now.getTime() + lockSeconds * 1000));
    const counted = await this.db('users')
      .where('id', id)
      .andWhere((open) => open.whereNull('locked_until').orWhere('locked_until', '<=', timestamp))
      .update({
        locked_until: this.db.raw('case when failed_login_count + 1 >= ? then ? else null end', [
          maxFailures,
          lockedUntil,
        ]),
        failed_login_count: this.db.raw(
          'case when failed_login_count + 1 >= ? then 0 else failed_login_count + 1 end',
          [maxFailures],
        ),
        updated_at: timestamp,
      });
    return counted === 1;
  }

  /**
   * A successful login clears the failure count (and any expired lock), unless a lock
   * was set meanwhile by failures racing with it: then false, and the login is refused.
   */
  async clearFailedLogins(id: string, now = new Date()): Promise<boolean> {
    const timestamp = toDbTime(now);
    const cleared = await this.db('users')
      .where('id', id)
      .andWhere((open) => open.whereNull('locked_until').orWhere('locked_until', '<=', timestamp))
      .update({ failed_login_count: 0, locked_until: null, updated_at: timestamp });
    return cleared === 1;
  }

  /** When the account's lock ends, if it is locked at `now`. */
  async lockedUntil(id: string, now = new Date()): Promise<Date | null> {
    const row: { locked_until: string | null } | undefined = await this.db('users')
      .where('id', id)
      .first('locked_until');
    const until = row?.locked_until ? fromDbTime(row.locked_until) : null;
    return until && until > now ? until : null;
  }
}
