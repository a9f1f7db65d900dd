import type { SqlDatabase } from '../../../common/src/sql/types';
import { SessionRepository } from '../sessions/session-repository';
import { UserRepository } from './user-repository';

/**
 * The accounts' rows: users and their sessions, one statement at a time, or together in
 * one transaction when a change to an account must end its sessions with it (all of it
 * happens, or none; a conflict runs the whole of it again).
 */
export class AccountStore {
  readonly users: UserRepository;
  readonly sessions: SessionRepository;

  constructor(private readonly db: SqlDatabase) {
    this.users = new UserRepository(db);
    this.sessions = new SessionRepository(db);
  }

  transaction<T>(work: (users: UserRepository, sessions: SessionRepository) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(new UserRepository(tx), new SessionRepository(tx)));
  }
}
