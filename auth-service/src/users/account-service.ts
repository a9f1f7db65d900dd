import type { ClientIdentity } from '../admission/client-identity';
import type { AdmittedWork, PasswordAdmission } from '../admission/password-admission';
import type { SecurityEvents } from '../admission/security-events';
import {
  AlreadyExistsError,
  InvalidArgumentError,
  NotFoundError,
  RefusedError,
  UnauthenticatedError,
  UnavailableError,
} from '../errors';
import type { AccountStore } from './account-store';
import type { AccountPacing } from './account-pacing';
import type { LoginCounters } from './login-counters';
import { operatorTicket, type PasswordHasher } from './password-hasher';
import { loginCredentialsProblem, normalizeUsername, passwordProblem, usernameProblem } from './password-policy';
import type { Role, UserRecord } from './user-repository';

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

/** An account whose password was just proved, and the access version its new session is opened under. */
export interface ProvedAccount {
  userId: string;
  accessVersion: number;
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
    private readonly store: AccountStore,
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
    if (await this.store.users.findByUsername(username)) throw new AlreadyExistsError('username is already taken');
    const work = await this.admission.admit({ ...call, knownAccount: null });
    try {
      const stored = await this.hasher.hash(password, work.ticket);
      return await this.store.users.insert({ username, password: stored, role: 'USER' });
    } finally {
      work.done();
    }
  }

  /**
   * Checks a password for a client (see `verified`); a hash of an older scheme is
   * replaced at once, within the same admitted work.
   */
  async authenticate(username: string, password: string, call: PasswordCall): Promise<ProvedAccount> {
    const problem = loginCredentialsProblem(username, password);
    if (problem) throw new InvalidArgumentError(problem);
    return this.verified(username, password, call, { giveBack: true }, async (user, work) => {
      if (this.hasher.needsUpgrade(user.password)) await this.upgrade(user, password, work);
      return { userId: user.id, accessVersion: user.accessVersion };
    });
  }

  /**
   * Replaces the password of the caller's account once the current one is proved,
   * exactly as a login proves it (refusals, admission, pacing, counting by name and
   * client): an access token alone is no way to guess the password. The new hash is work
   * of the same admitted call, stored in one transaction with the end of the account's
   * sessions but `keepSession` (the caller's).
   */
  async changePassword(
    account: { userId: string; username: string; sessionId: string },
    currentPassword: string,
    newPassword: string,
    call: PasswordCall,
  ): Promise<void> {
    const problem = passwordProblem(newPassword, account.username);
    if (problem) throw new InvalidArgumentError(problem);
    const credentials = loginCredentialsProblem(account.username, currentPassword);
    if (credentials) throw new InvalidArgumentError(credentials.replace('password', 'current password'));
    // Two hashes: the successful check does not give its share back as a login does.
    await this.verified(account.username, currentPassword, call, { giveBack: false }, async (user, work) => {
      if (user.id !== account.userId) throw new UnauthenticatedError(wrongCredentials);
      const stored = await this.hasher.hash(newPassword, work.ticket);
      await this.store.transaction(async (users, sessions) => {
        await users.update(user.id, { password: stored });
        await sessions.revokeAllOfUser(user.id, 'password_change', new Date(), account.sessionId);
      });
      this.events.emit('password changed', { username: user.username, userId: user.id, client: call.client.key });
    });
  }

  /**
   * Disables or enables an account (the operator's command and the ADMIN route). A
   * disabled account cannot log in or refresh, and its sessions end with it, in one
   * transaction (ASVS 5.0 §7.4.2); enabling it brings none of them back.
   */
  async setDisabled(username: string, disabled: boolean): Promise<{ userId: string; username: string }> {
    const user = usernameProblem(username) ? null : await this.store.users.findByUsername(username);
    if (!user) throw new NotFoundError('no account with this username');
    const now = new Date();
    const changed = await this.store.transaction(async (users, sessions) => {
      const statusChanged = await users.setDisabled(user.id, disabled, now);
      if (disabled) await sessions.revokeAllOfUser(user.id, 'account_disabled', now);
      return statusChanged;
    });
    if (changed) {
      this.events.emit(disabled ? 'account disabled' : 'account enabled', { username: user.username, userId: user.id });
    }
    return { userId: user.id, username: user.username };
  }

  /**
   * Checks a password for a client, in this order, every step keyed by the name:
   * the client's refusal for the account (429 whatever the password); admission (the
   * client's share); the account's pacing for clients not known for it (past the hourly
   * ceiling); then exactly one bcrypt operation; then the count. A disabled account
   * fails exactly like a wrong password. On a match, `then` runs within the admitted
   * work (its further hashes queue with the same ticket). `giveBack`: a success returns
   * the client's hash (a login's one hash).
   */
  private async verified<T>(
    username: string,
    password: string,
    call: PasswordCall,
    options: { giveBack: boolean },
    then: (user: UserRecord, work: AdmittedWork) => Promise<T>,
  ): Promise<T> {
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
      const user = await this.store.users.findByUsername(username);
      const matches = await this.hasher.verify(password, user?.password ?? null, work.ticket);
      if (!matches || !user || user.disabled) throw await this.failed(name, call.client);
      await this.succeeded(name, client, slot);
      const result = await then(user, work);
      if (options.giveBack) await work.succeeded();
      return result;
    } finally {
      work.done();
    }
  }

  /**
   * Re-hashes an older-scheme password in the current scheme. The hash is work like any
   * other: it queues with the login's ticket, and when the queue cannot fit it before the
   * deadline the login is answered anyway and the upgrade waits for a later one.
   */
  private async upgrade(user: UserRecord, password: string, work: AdmittedWork): Promise<void> {
    let stored;
    try {
      stored = await this.hasher.hash(password, work.ticket);
    } catch (error) {
      if (error instanceof RefusedError || error instanceof UnavailableError) return;
      throw error;
    }
    await this.store.users.upgradePassword(user.id, user.password.hash, stored);
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
    const existing = await this.store.users.findByUsername(username);
    if (!existing) {
      const stored = await this.hasher.hash(password, operatorTicket);
      try {
        const userId = await this.store.users.insert({ username, password: stored, role: role ?? 'USER' });
        return { userId, role: role ?? 'USER', created: true, previousRole: null, passwordChanged: true };
      } catch (error) {
        // Another replica bootstrapping the same account won the race: check it as existing.
        if (!(error instanceof AlreadyExistsError)) throw error;
        return this.ensureAccount(username, password, role);
      }
    }
    const passwordMatches = await this.hasher.verify(password, existing.password, operatorTicket);
    const now = new Date();
    // The same password in an older scheme is re-hashed without ending anything.
    const rehash = !passwordMatches || this.hasher.needsUpgrade(existing.password);
    const stored = rehash ? await this.hasher.hash(password, operatorTicket) : undefined;
    const newRole = role === null || existing.role === role ? undefined : role;
    if (stored !== undefined || newRole !== undefined) {
      await this.store.transaction(async (users, sessions) => {
        await users.update(existing.id, { password: stored, role: newRole }, now);
        if (!passwordMatches) await sessions.revokeAllOfUser(existing.id, 'password_reset', now);
      });
    }
    return {
      userId: existing.id,
      role: newRole ?? existing.role,
      created: false,
      previousRole: newRole === undefined ? null : existing.role,
      passwordChanged: !passwordMatches,
    };
  }
}

function assertNewCredentials(username: string, password: string): void {
  const problem = usernameProblem(username) ?? passwordProblem(password, username);
  if (problem) throw new InvalidArgumentError(problem);
}
