import { v7 as uuidv7 } from 'uuid';
import { isUniqueViolation } from '../../../common/src/database-errors';
import { toDbTime } from '../../../common/src/db-time';
import { integer, nullableText, oneOf, text } from '../../../common/src/sql/row';
import { inTransaction, type SqlScope } from '../../../common/src/sql/transaction-scope';
import type { SqlRow } from '../../../common/src/sql/types';
import { AlreadyExistsError } from '../errors';
import { passwordSchemes, type StoredPassword } from './password-hasher';
import { normalizeUsername } from './password-policy';

export type Role = 'USER' | 'ADMIN';

const roles: Record<Role, true> = { USER: true, ADMIN: true };

export interface UserRecord {
  id: string;
  username: string;
  password: StoredPassword;
  role: Role;
  /** An operator disabled the account: it cannot log in or refresh. */
  disabled: boolean;
  /** Raised whenever all the account's sessions end; a session opened under another value is not valid. */
  accessVersion: number;
}

function toRecord(row: SqlRow): UserRecord {
  return {
    id: text(row, 'id'),
    username: text(row, 'username'),
    password: { hash: text(row, 'password_hash'), scheme: oneOf(passwordSchemes, row, 'password_scheme') },
    role: oneOf(roles, row, 'role'),
    disabled: nullableText(row, 'disabled_at') !== null,
    accessVersion: integer(row, 'access_version'),
  };
}

export class UserRepository {
  constructor(private readonly db: SqlScope) {}

  async findByUsername(username: string): Promise<UserRecord | null> {
    const [row] = await this.db.query(
      'select id, username, password_hash, password_scheme, role, disabled_at, access_version from users where username_normalized = ?',
      [normalizeUsername(username)],
    );
    return row ? toRecord(row) : null;
  }

  /** Inserts a user; the unique index decides races between two registrations of one name. */
  async insert(user: { username: string; password: StoredPassword; role: Role }, now = new Date()): Promise<string> {
    const id = uuidv7();
    const timestamp = toDbTime(now);
    try {
      await inTransaction(this.db, (tx) =>
        tx.execute(
          'insert into users (id, username, username_normalized, password_hash, password_scheme, role, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?)',
          [
            id,
            user.username,
            normalizeUsername(user.username),
            user.password.hash,
            user.password.scheme,
            user.role,
            timestamp,
            timestamp,
          ],
        ),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new AlreadyExistsError('username is already taken');
      throw error;
    }
    return id;
  }

  async update(id: string, changes: { password?: StoredPassword; role?: Role }, now = new Date()): Promise<void> {
    const assignments = ['updated_at = ?'];
    const params: Array<string | number> = [toDbTime(now)];
    if (changes.password !== undefined) {
      assignments.push('password_hash = ?', 'password_scheme = ?');
      params.push(changes.password.hash, changes.password.scheme);
    }
    if (changes.role !== undefined) {
      assignments.push('role = ?');
      params.push(changes.role);
    }
    await inTransaction(this.db, (tx) =>
      tx.execute(`update users set ${assignments.join(', ')} where id = ?`, [...params, id]),
    );
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
    const updated = await inTransaction(this.db, (tx) =>
      tx.execute(
        'update users set password_hash = ?, password_scheme = ?, updated_at = ? where id = ? and password_hash = ?',
        [password.hash, password.scheme, toDbTime(now), id, previousHash],
      ),
    );
    return updated === 1;
  }

  /** Disables or enables the account; true when that changed its status. */
  async setDisabled(id: string, disabled: boolean, now = new Date()): Promise<boolean> {
    const timestamp = toDbTime(now);
    const updated = await inTransaction(this.db, (tx) =>
      tx.execute(
        `update users set disabled_at = ?, updated_at = ? where id = ? and disabled_at is ${disabled ? 'null' : 'not null'}`,
        [disabled ? timestamp : null, timestamp, id],
      ),
    );
    return updated === 1;
  }
}
