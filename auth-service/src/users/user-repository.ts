import { v7 as uuidv7 } from 'uuid';
import type { Knex } from 'knex';
import { isUniqueViolation } from '../../../common/src/database-errors';
import { toDbTime } from '../../../common/src/db-time';
import { AlreadyExistsError } from '../errors';
import type { PasswordScheme, StoredPassword } from './password-hasher';
import { normalizeUsername } from './password-policy';

export type Role = 'USER' | 'ADMIN';

export interface UserRecord {
  id: string;
  username: string;
  password: StoredPassword;
  role: Role;
  /** An operator disabled the account: it cannot log in or refresh. */
  disabled: boolean;
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  password_scheme: PasswordScheme;
  role: Role;
  disabled_at: string | null;
}

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    password: { hash: row.password_hash, scheme: row.password_scheme },
    role: row.role,
    disabled: row.disabled_at !== null,
  };
}

export class UserRepository {
  constructor(private readonly db: Knex) {}

  async findByUsername(username: string): Promise<UserRecord | null> {
    const row: UserRow | undefined = await this.db('users')
      .select('id', 'username', 'password_hash', 'password_scheme', 'role', 'disabled_at')
      .where('username_normalized', normalizeUsername(username))
      .first();
    return row ? toRecord(row) : null;
  }

  /** Inserts a user; the unique index decides races between two registrations of one name. */
  async insert(user: { username: string; password: StoredPassword; role: Role }, now = new Date()): Promise<string> {
    const id = uuidv7();
    const timestamp = toDbTime(now);
    try {
      await this.db('users').insert({
        id,
        username: user.username,
        username_normalized: normalizeUsername(user.username),
        password_hash: user.password.hash,
        password_scheme: user.password.scheme,
        role: user.role,
        created_at: timestamp,
        updated_at: timestamp,
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AlreadyExistsError('username is already taken');
      throw error;
    }
    return id;
  }

  async update(id: string, changes: { password?: StoredPassword; role?: Role }, now = new Date()): Promise<void> {
    await this.db('users')
      .where('id', id)
      .update({
        ...(changes.password === undefined
          ? {}
          : { password_hash: changes.password.hash, password_scheme: changes.password.scheme }),
        ...(changes.role === undefined ? {} : { role: changes.role }),
        updated_at: toDbTime(now),
      });
  }

  /**
   * Replaces a hash by one of another scheme for the same password, only if the stored
   * hash is still `previousHash` (a password changed meanwhile is never overwritten).
   */
  async upgradePassword(
    id: string,
    previousHash: string,
    password: StoredPassword,
    now = new Date(),
  ): Promise<boolean> {
    const updated = await this.db('users')
      .where({ id, password_hash: previousHash })
      .update({ password_hash: password.hash, password_scheme: password.scheme, updated_at: toDbTime(now) });
    return updated === 1;
  }

  /** Disables or enables the account; true when that changed its status. */
  async setDisabled(id: string, disabled: boolean, now = new Date()): Promise<boolean> {
    const timestamp = toDbTime(now);
    const query = this.db('users').where('id', id);
    const updated = await (disabled ? query.whereNull('disabled_at') : query.whereNotNull('disabled_at')).update({
      disabled_at: disabled ? timestamp : null,
      updated_at: timestamp,
    });
    return updated === 1;
  }
}
