import { AlreadyExistsError, InvalidArgumentError, LockedOutError, UnauthenticatedError } from '../errors';
import type { SessionRepository } from '../sessions/session-repository';
import type { PasswordHasher } from './password-hasher';
import { loginCredentialsProblem, passwordProblem, usernameProblem } from './password-policy';
import type { Role, UserRepository } from './user-repository';

export interface LockoutPolicy {
  maxFailures: number;
  lockSeconds: number;
}

export interface EnsuredAccount {
  userId: string;
  role: Role;
  created: boolean;
  /** The role before this call, when the account already existed with another one. */
  previousRole: Role | null;
  passwordChanged: boolean;
}

const wrongCredentials = 'wrong username or password';

/** Accounts: registration, password checks with lockout, and operator-made accounts. */
export class AccountService {
  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly hasher: PasswordHasher,
    private readonly lockout: LockoutPolicy,
  ) {}

  async register(username: string, password: string, signal?: AbortSignal): Promise<string> {
    assertNewCredentials(username, password);
    // A cheap early answer for a taken name; the unique index still settles races.
    if (await this.users.findByUsername(username)) throw new AlreadyExistsError('username is already taken');
    const passwordHash = await this.hasher.hash(password, signal);
    return this.users.insert({ username, passwordHash, role: 'USER' });
  }

  /**
   * Checks a password with exactly one bcrypt operation, whether or not the account
   * exists, and answers both failures alike. A locked account is refused before any
   * hashing: its answer does not depend on the password.
   */
  async authenticate(username: string, password: string, signal?: AbortSignal): Promise<string> {
    const problem = loginCredentialsProblem(username, password);
    if (problem) throw new InvalidArgumentError(problem);
    const user = await this.users.findByUsername(username);
    const now = new Date();
    if (user?.lockedUntil && user.lockedUntil > now) {
      throw new LockedOutError(Math.max(1, Math.ceil((user.lockedUntil.getTime() - now.getTime()) / 1000)));
    }
    const matches = await this.hasher.verify(password, user?.passwordHash ?? null, signal);
    if (!user) throw new UnauthenticatedError(wrongCredentials);
    // The lock may have been set by attempts racing with this one since it was read:
    // the verdict is settled by the statement that counts or clears, never by that read.
    if (!matches) {
      const counted = await this.users.recordFailedLogin(user.id, this.lockout.maxFailures, this.lockout.lockSeconds);
      if (!counted) await this.refuseIfLocked(user.id);
      throw new UnauthenticatedError(wrongCredentials);
    }
    if (!(await this.users.clearFailedLogins(user.id))) await this.refuseIfLocked(user.id);
    return user.id;
  }

  private async refuseIfLocked(userId: string): Promise<void> {
    const now = new Date();
    const lockedUntil = await this.users.lockedUntil(userId, now);
    if (lockedUntil) {
      throw new LockedOutError(Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000)));
    }
  }

  /**
   * The operator path (start-up bootstrap and the user:create command): makes sure the
   * account exists with this password and role (`null`: a new account is a USER, an
   * existing one keeps its role). A password that differs from the
   * stored one replaces it and ends the account's sessions, so whoever held the name
   * before (for instance someone who registered it first) loses access.
   */
  async ensureAccount(username: string, password: string, role: Role | null): Promise<EnsuredAccount> {
    assertNewCredentials(username, password);
    const existing = await this.users.findByUsername(username);
    if (!existing) {
      const passwordHash = await this.hasher.hash(password);
      try {
        const userId = await this.users.insert({ username, passwordHash, role: role ?? 'USER' });
        return { userId, role: role ?? 'USER', created: true, previousRole: null, passwordChanged: true };
      } catch (error) {
        // Another replica bootstrapping the same account won the race: check it as existing.
        if (!(error instanceof AlreadyExistsError)) throw error;
        return this.ensureAccount(username, password, role);
      }
    }
    const passwordMatches = await this.hasher.verify(password, existing.passwordHash);
    const now = new Date();
    const passwordHash = passwordMatches ? undefined : await this.hasher.hash(password);
    const newRole = role === null || existing.role === role ? undefined : role;
    if (passwordHash !== undefined || newRole !== undefined) {
      await this.users.update(existing.id, { passwordHash, role: newRole }, now);
    }
    if (passwordHash !== undefined) await this.sessions.revokeAllOfUser(existing.id, 'password_reset', now);
    return {
      userId: existing.id,
      role: newRole ?? existing.role,
      created: false,
      previousRole: newRole === undefined ? null : existing.role,
      passwordChanged: passwordHash !== undefined,
    };
  }
}

function assertNewCredentials(username: string, password: string): void {
  const problem = usernameProblem(username) ?? passwordProblem(password, username);
  if (problem) throw new InvalidArgumentError(problem);
}
