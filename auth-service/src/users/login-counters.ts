import { v7 as uuidv7 } from 'uuid';
import { fromDbTime, toDbTime } from '../../../common/src/db-time';
import { integer, nullableText, placeholders, text } from '../../../common/src/sql/row';
import { inTransaction, type SqlScope } from '../../../common/src/sql/transaction-scope';
import type { SqlSession } from '../../../common/src/sql/types';

/** What one client's failures did to its standing with one account. */
export type FailureOutcome =
  /** Counted; the client may try again. */
  | { refusedUntil: null; startedRefusal: false }
  /** This failure (or one racing with it) made the client refused for the account until then. */
  | { refusedUntil: Date; startedRefusal: boolean };

/** An attempt's slot on its account (epoch ms: when it may run), and what it reserved. */
export type SlotOutcome =
  { granted: true; slotAt: number; reservedMs: number; startedSlowing: boolean } | { granted: false; slotAt: number };

export interface PacingPolicy {
  /** The hour's budget of failed attempts (ASVS: at most 100 an hour). */
  maxFailuresPerHour: number;
}

const hourMs = 3_600_000;

/** How a counter row is inserted unless its unique key is taken already (then nothing happens). */
const unlessTaken = { mysql: 'on duplicate key update id = id', sqlite: 'on conflict do nothing' } as const;

/** A client not refused at a moment: the condition of every update that counts. */
const notRefused = 'username_normalized = ? and client_key = ? and (refused_until is null or refused_until <= ?)';

/**
 * Login failure counters, keyed by the normalised USERNAME (never by user id), so a name
 * that has no account is counted exactly like one that has:
 * - `login_clients`: per name and client, the consecutive failures, the refusal they led
 *   to, and the last successful login (what makes a client "known" for the account);
 * - `login_accounts`: per name, the account's failure budget across all clients.
 * Every change is one conditional statement, so replicas sharing the database agree on
 * every count.
 */
export class LoginCounters {
  constructor(private readonly db: SqlScope) {}

  /**
   * The client's standing with the account: refused until when (if now), last success.
   * Read by every login, a flood's included: one primary-key read.
   */
  async clientStanding(
    name: string,
    client: string,
    now: Date,
  ): Promise<{ refusedUntil: Date | null; lastSuccessAt: Date | null }> {
    const [row] = await this.db.query(
      'select refused_until, last_success_at from login_clients where username_normalized = ? and client_key = ?',
      [name, client],
    );
    const refused = row ? nullableText(row, 'refused_until') : null;
    const lastSuccess = row ? nullableText(row, 'last_success_at') : null;
    const refusedUntil = refused ? fromDbTime(refused) : null;
    return {
      refusedUntil: refusedUntil && refusedUntil > now ? refusedUntil : null,
      lastSuccessAt: lastSuccess ? fromDbTime(lastSuccess) : null,
    };
  }

  /**
   * Counts one failed login of the client on the account. The failure that reaches
   * `maxFailures` starts a refusal of `lockMs` and restarts the count. A failure that
   * raced with a refusal being set is not counted and comes back refused, so parallel
   * guesses never get more verdicts than `maxFailures`.
   * `refused_until` is assigned before the count: MySQL evaluates assignments left to
   * right with the new values, SQLite with the old ones, and this order reads the same
   * (old) count on both.
   */
  async recordFailure(
    name: string,
    client: string,
    maxFailures: number,
    lockMs: number,
    now: Date,
  ): Promise<FailureOutcome> {
    const timestamp = toDbTime(now);
    const until = toDbTime(new Date(now.getTime() + lockMs));
    const counted = await this.onExistingRow(name, client, now, (tx) =>
      tx.execute(
        `update login_clients set
           refused_until = case when consecutive_failures + 1 >= ? then ? else null end,
           consecutive_failures = case when consecutive_failures + 1 >= ? then 0 else consecutive_failures + 1 end,
           updated_at = ?
         where ${notRefused}`,
        [maxFailures, until, maxFailures, timestamp, name, client, timestamp],
      ),
    );
    const standing = await this.clientStanding(name, client, now);
    if (standing.refusedUntil === null) return { refusedUntil: null, startedRefusal: false };
    return { refusedUntil: standing.refusedUntil, startedRefusal: counted };
  }

  /**
   * Records a successful login: the client's count restarts and it becomes known for the
   * account. Null when it was refused meanwhile (by failures racing with this login):
   * then the login is refused too, until the date returned.
   */
  async recordSuccess(name: string, client: string, now: Date): Promise<Date | null> {
    const timestamp = toDbTime(now);
    const cleared = await this.onExistingRow(name, client, now, (tx) =>
      tx.execute(
        `update login_clients set consecutive_failures = 0, refused_until = null, last_success_at = ?, updated_at = ?
         where ${notRefused}`,
        [timestamp, timestamp, name, client, timestamp],
      ),
    );
    if (cleared) return null;
    return (await this.clientStanding(name, client, now)).refusedUntil ?? now;
  }

  /**
   * Takes the account's next attempt slot for a client that is not known for it. Each
   * attempt reserves `2 × hour / maxFailuresPerHour` of the account's hourly budget (given
   * back when it succeeds); while the budget has room the attempt runs at once. The
   * budget is a rate with a burst (GCRA): every granted attempt leaves at most an hour
   * reserved ahead of it and reserves at least that interval, so any hour, sliding or
   * not, holds at most (hour + hour) / interval = maxFailuresPerHour failed attempts —
   * half of them at once from idle, the rest spread over the hour. Past the budget,
   * the account is slowed: each further attempt reserves a longer interval than the one
   * before (the interval grows with every paced attempt until the account has been
   * quiet for its whole budget), and runs at its slot — when the budget has room again.
   * An attempt whose slot is more than `maxWaitMs` away takes nothing and is refused.
   */
  async takeSlot(name: string, policy: PacingPolicy, maxWaitMs: number): Promise<SlotOutcome> {
    const intervalMs = (2 * hourMs) / policy.maxFailuresPerHour;
    let outcome: SlotOutcome | undefined;
    await this.compareAndSet(name, (budgetUntilMs, pacedAttempts, nowMs) => {
      const idle = budgetUntilMs <= nowMs;
      const budgetUntil = idle ? nowMs : budgetUntilMs;
      const paced = idle ? 0 : pacedAttempts;
      const free = budgetUntil + intervalMs - nowMs <= hourMs;
      const reservedMs = free ? intervalMs : Math.min(intervalMs * (paced + 1), hourMs);
      const slotAt = Math.max(nowMs, budgetUntil + reservedMs - hourMs);
      if (slotAt - nowMs > maxWaitMs) {
        outcome = { granted: false, slotAt };
        return null;
      }
      outcome = { granted: true, slotAt, reservedMs, startedSlowing: !free && paced === 0 };
      return { budgetUntilMs: budgetUntil + reservedMs, pacedAttempts: free ? paced : paced + 1 };
    });
    if (outcome === undefined) throw new Error('the account budget was written without deciding the attempt');
    return outcome;
  }

  /** A successful login gives its reservation back to the account's budget. */
  async giveBackSlot(name: string, reservedMs: number): Promise<void> {
    await this.compareAndSet(name, (budgetUntilMs, pacedAttempts, nowMs) => ({
      budgetUntilMs: Math.max(nowMs, budgetUntilMs - reservedMs),
      pacedAttempts,
    }));
  }

  /**
   * Changes the account's budget by `change` (null: leave it) without holding a lock
   * across round trips: read, compute, then write only if nobody wrote in between, and
   * start again (in a new transaction, which reads what was written) if somebody did.
   * Many attempts on one account (an attack) then wait for nothing but their own
   * statements, and hold no connection while others decide.
   */
  private async compareAndSet(
    name: string,
    change: (
      budgetUntilMs: number,
      pacedAttempts: number,
      nowMs: number,
    ) => { budgetUntilMs: number; pacedAttempts: number } | null,
  ): Promise<void> {
    for (;;) {
      const settled = await inTransaction(this.db, async (tx) => {
        const [row] = await tx.query(
          'select budget_until, paced_attempts from login_accounts where username_normalized = ?',
          [name],
        );
        if (!row) {
          await this.ensureAccountRow(tx, name, new Date());
          return false;
        }
        const budgetUntil = text(row, 'budget_until');
        const pacedAttempts = integer(row, 'paced_attempts');
        const nowMs = Date.now();
        const next = change(fromDbTime(budgetUntil).getTime(), pacedAttempts, nowMs);
        if (next === null) return true;
        const written = await tx.execute(
          `update login_accounts set budget_until = ?, paced_attempts = ?, updated_at = ?
           where username_normalized = ? and budget_until = ? and paced_attempts = ?`,
          [
            toDbTime(new Date(next.budgetUntilMs)),
            next.pacedAttempts,
            toDbTime(new Date(nowMs)),
            name,
            budgetUntil,
            pacedAttempts,
          ],
        );
        return written === 1;
      });
      if (settled) return;
    }
  }

  /** The operator's unlock: every counter of the account, for every client, is gone. */
  async clearAccount(name: string): Promise<number> {
    return inTransaction(this.db, async (tx) => {
      const clients = await tx.execute('delete from login_clients where username_normalized = ?', [name]);
      const accounts = await tx.execute('delete from login_accounts where username_normalized = ?', [name]);
      return clients + accounts;
    });
  }

  /**
   * Deletes up to `batchSize` rows that no longer decide anything: accounts whose budget
   * is whole again, and clients neither refused, nor known, nor failing within `staleMs`.
   */
  async deleteStale(now: Date, knownForMs: number, staleMs: number, batchSize: number): Promise<number> {
    const timestamp = toDbTime(now);
    const accounts = await this.db.query(`select id from login_accounts where budget_until <= ? limit ${batchSize}`, [
      timestamp,
    ]);
    const clients = await this.db.query(
      `select id from login_clients
       where (refused_until is null or refused_until <= ?)
         and (last_success_at is null or last_success_at <= ?)
         and updated_at <= ?
       limit ${batchSize}`,
      [timestamp, toDbTime(new Date(now.getTime() - knownForMs)), toDbTime(new Date(now.getTime() - staleMs))],
    );
    const ids = (rows: typeof accounts) => rows.map((row) => text(row, 'id'));
    return inTransaction(this.db, async (tx) => {
      const deleteFrom = (table: string, rows: string[]) =>
        rows.length === 0 ? 0 : tx.execute(`delete from ${table} where id in ${placeholders(rows.length)}`, rows);
      return (await deleteFrom('login_accounts', ids(accounts))) + (await deleteFrom('login_clients', ids(clients)));
    });
  }

  /**
   * Runs a conditional update; when no row matched because there is none yet, makes it
   * and runs it again. Each step is a transaction of its own: an update that found no
   * row and an insert in one transaction hold gap locks that deadlock with a concurrent
   * first failure of the same client, again on every retry under a flood.
   */
  private async onExistingRow(
    name: string,
    client: string,
    now: Date,
    update: (tx: SqlSession) => Promise<number>,
  ): Promise<boolean> {
    if ((await inTransaction(this.db, update)) === 1) return true;
    const timestamp = toDbTime(now);
    await inTransaction(this.db, (tx) =>
      tx.execute(
        `insert into login_clients (id, username_normalized, client_key, consecutive_failures, refused_until,
           last_success_at, created_at, updated_at)
         values (?, ?, ?, 0, null, null, ?, ?) ${unlessTaken[tx.dialect]}`,
        [uuidv7(), name, client, timestamp, timestamp],
      ),
    );
    return (await inTransaction(this.db, update)) === 1;
  }

  private async ensureAccountRow(tx: SqlSession, name: string, now: Date): Promise<void> {
    const timestamp = toDbTime(now);
    await tx.execute(
      `insert into login_accounts (id, username_normalized, budget_until, paced_attempts, created_at, updated_at)
       values (?, ?, ?, 0, ?, ?) ${unlessTaken[tx.dialect]}`,
      [uuidv7(), name, timestamp, timestamp, timestamp],
    );
  }
}
