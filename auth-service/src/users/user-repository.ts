import { v7 as uuidv7 } from 'uuid';
import type { Knex } from 'knex';
import { isUniqueViolation } from '../../../common/src/database-errors';
import { toDbTime } from '../../../common/src/db-time';
import { AlreadyExistsError } from '../errors';
import { normalizeUsername } from './password-policy';

export type Role = 'USER' | 'ADMIN';

export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
  role: Role;
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
}

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    role: row.role,
  };
}

export class UserRepository {
  constructor(private readonly db: Knex) {}

  async findByUsername(username: string): Promise<UserRecord | null> {
    const row: UserRow | undefined = await this.db('users')
      .select('id', 'username', 'password_hash', 'role')
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
        ...(changes.passwordHash === undefined ? {} : { password_hash: changes.passwordHash }),
        ...(changes.role === undefined ? {} : { role: changes.role }),
        updated_at: toDbTime(now),
      });
  }
}
