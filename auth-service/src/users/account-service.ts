import type { ClientIdentity } from '../admission/client-identity';
import type { PasswordAdmission } from '../admission/password-admission';
import type { SecurityEvents } from '../admission/security-events';
import { AlreadyExistsError, InvalidArgumentError, RefusedError, UnauthenticatedError } from '../errors';
import type { SessionRepository } from '../sessions/session-repository';
import type { AccountPacing } from './account-pacing';
import type { LoginCounters } from './login-counters';
import { operatorTicket, type PasswordHasher } from './password-hasher';
import { loginCredentialsProblem, normalizeUsername, passwordProblem, usernameProblem } from './password-policy';
import type { Role, UserRepository } from './user-repository';

export interface LoginPolicy {
  /** Consecutive failures after which a client is refused for an account. */
  maxFailures: number;
  /** How long that refusal lasts. */
  lockSeconds: number;
  /** A client that logged in to an account within this long is known for it. */
  knownClientMs: number;
}

export interface EnsuredAccount {
  userId: string;
  role: Role;
  created: boolean;
  /** The role before this call, when the account already existed with another one. */
  previousRole: Role | null;
  passwordChanged: boolean;
}

/** Who is asking, and until when they wait for the answer. */
export interface PasswordCall {
  client: ClientIdentity;
  /** Epoch ms: the gRPC call's deadline. */
  deadline: number;
  signal?: AbortSignal;
}

const wrongCredentials = 'wrong username or password';

/**
 * Accounts: registration, password checks, and operator-made accounts. Everything that
 * hashes a password passes PasswordAdmission first. Logins are counted by username and
 * client (LoginCounters): unknown names take exactly the same path as existing ones,
 * with the same database work and one bcrypt operation (against a dummy hash).
 */
export class AccountService {
  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly hasher: PasswordHasher,
    private readonly admission: PasswordAdmission,
    private readonly counters: LoginCounters,
    private readonly pacing: AccountPacing,
    private readonly policy: LoginPolicy,
    private readonly events: SecurityEvents,
  ) {}

  async register(username: string, password: string, call: PasswordCall): Promise<string> {
    assertNewCredentials(username, password);
    // A cheap early answer for a taken name; the unique index still settles races.
    if (await this.users.findByUsername(username)) throw new AlreadyExistsError('username is already taken');
    const work = await this.admission.admit({ ...call, knownAccount: null });
    try {
      const passwordHash = await this.hasher.hash(password, work.ticket);
      return await this.users.insert({ username, passwordHash, role: 'USER' });
    } finally {
      work.done();
    }
  }

  /**
   * Checks a password for a client, in this order, every step keyed by the name:
   * the client's refusal for the account (429 whatever the password); admission (the
   * client's share); the account's pacing for clients not known for it (past the hourly
   * ceiling); then exactly one bcrypt operation; then the count. Returns the user id.
   */
  async authenticate(username: string, password: string, call: PasswordCall): Promise<string> {
    const problem = loginCredentialsProblem(username, password);
    if (problem) throw new InvalidArgumentError(problem);
    const name = normalizeUsername(username);
    const client = call.client.key;
    const now = new Date();
    const standing = await this.counters.clientStanding(name, client, now);
    if (standing.refusedUntil) {
      throw new RefusedError('too-many-login-failures', standing.refusedUntil.getTime() - now.getTime());
    }
    const known =
      standing.lastSuccessAt !== null && now.getTime() - standing.lastSuccessAt.getTime() < this.policy.knownClientMs;
    const work = await this.admission.admit({ ...call, knownAccount: known ? name : null });
    try {
      const slot = known ? null : await this.pacing.take(name, this.maxSlotWaitMs(call), call.signal);
      const user = await this.users.findByUsername(username);
      const matches = await this.hasher.verify(password, user?.passwordHash ?? null, work.ticket);
      if (!matches || !user) throw await this.failed(name, call.client);
      await this.succeeded(name, client, slot);
      await work.succeeded();
      return user.id;
    } finally {
      work.done();
    }
  }

  /** How long an attempt may wait for its account's slot and still be hashed and answered before its deadline. */
  private maxSlotWaitMs(call: PasswordCall): number {
    const queue = this.hasher.queue;
    return Math.max(0, call.deadline - Date.now() - queue.expectedWaitMs() - 2 * queue.timer.ms);
  }

  /** Counts the failure; the error to answer with (401, or 429 once the client is refused). */
  private async failed(name: string, client: ClientIdentity): Promise<Error> {
    const now = new Date();
    const outcome = await this.counters.recordFailure(
      name,
      client.key,
      this.policy.maxFailures,
      this.policy.lockSeconds * 1000,
      now,
    );
    if (outcome.refusedUntil === null) return new UnauthenticatedError(wrongCredentials);
    if (outcome.startedRefusal) {
      this.events.emit('login refused for client', {
        username: name,
        client: client.key,
        viaGateway: client.viaGateway,
      });
      // The failure that reached the limit was judged: it answers like any wrong password.
      return new UnauthenticatedError(wrongCredentials);
    }
    return new RefusedError('too-many-login-failures', outcome.refusedUntil.getTime() - now.getTime());
  }

  private async succeeded(name: string, client: string, slot: { reservedMs: number } | null): Promise<void> {
    const now = new Date();
    const refusedUntil = await this.counters.recordSuccess(name, client, now);
    if (refusedUntil) throw new RefusedError('too-many-login-failures', refusedUntil.getTime() - now.getTime());
    if (slot) await this.pacing.giveBack(name, slot.reservedMs);
  }

  /** The operator's unlock: clears every login counter of the name (all clients, the account's budget). */
  async clearLoginCounters(username: string): Promise<number> {
    const name = normalizeUsername(username);
    const cleared = await this.counters.clearAccount(name);
    this.events.emit('login counters cleared', { username: name, rows: cleared });
    return cleared;
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
      const passwordHash = await this.hasher.hash(password, operatorTicket);
      try {
        const userId = await this.users.insert({ username, passwordHash, role: role ?? 'USER' });
        return { userId, role: role ?? 'USER', created: true, previousRole: null, passwordChanged: true };
      } catch (error) {
        // Another replica bootstrapping the same account won the race: check it as existing.
        if (!(error instanceof AlreadyExistsError)) throw error;
        return this.ensureAccount(username, password, role);
      }
    }
    const passwordMatches = await this.hasher.verify(password, existing.passwordHash, operatorTicket);
    const now = new Date();
    const passwordHash = passwordMatches ? undefined : await this.hasher.hash(password, operatorTicket);
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
