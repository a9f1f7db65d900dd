import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import { fromDbTime, toDbTime } from '../../../common/src/db-time';

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
  constructor(private readonly db: Knex) {}

  /**
   * The client's standing with the account: refused until when (if now), last success.
   * Read by every login, a flood's included: one primary-key read.
   */
  async clientStanding(
    name: string,
    client: string,
    now: Date,
  ): Promise<{ refusedUntil: Date | null; lastSuccessAt: Date | null }> {
    const row: { refused_until: string | null; last_success_at: string | null } | undefined = await this.db(
      'login_clients',
    )
      .where({ username_normalized: name, client_key: client })
      .first('refused_until', 'last_success_at');
    const refusedUntil = row?.refused_until ? fromDbTime(row.refused_until) : null;
    return {
      refusedUntil: refusedUntil && refusedUntil > now ? refusedUntil : null,
      lastSuccessAt: row?.last_success_at ? fromDbTime(row.last_success_at) : null,
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
    const count = () =>
      this.notRefused(name, client, timestamp).update({
        refused_until: this.db.raw('case when consecutive_failures + 1 >= ? then ? else null end', [
          maxFailures,
          until,
        ]),
        consecutive_failures: this.db.raw(
          'case when consecutive_failures + 1 >= ? then 0 else consecutive_failures + 1 end',
          [maxFailures],
        ),
        updated_at: timestamp,
      });
    const counted = await this.onExistingRow(name, client, now, count);
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
    const cleared = await this.onExistingRow(name, client, now, () =>
      this.notRefused(name, client, timestamp).update({
        consecutive_failures: 0,
        refused_until: null,
        last_success_at: timestamp,
        updated_at: timestamp,
      }),
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
   * start again if somebody did. Many attempts on one account (an attack) then wait for
   * nothing but their own statements, and hold no connection while others decide.
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
      const row: { budget_until: string; paced_attempts: number | string } | undefined = await this.db('login_accounts')
        .where('username_normalized', name)
        .first('budget_until', 'paced_attempts');
      if (!row) {
        await this.ensureAccountRow(name, new Date());
        continue;
      }
      const nowMs = Date.now();
      const next = change(fromDbTime(row.budget_until).getTime(), Number(row.paced_attempts), nowMs);
      if (next === null) return;
      const written = await this.db('login_accounts')
        .where({
          username_normalized: name,
          budget_until: row.budget_until,
          paced_attempts: row.paced_attempts,
        })
        .update({
          budget_until: toDbTime(new Date(next.budgetUntilMs)),
          paced_attempts: next.pacedAttempts,
          updated_at: toDbTime(new Date(nowMs)),
        });
      if (written === 1) return;
    }
  }

  /** The operator's unlock: every counter of the account, for every client, is gone. */
  async clearAccount(name: string): Promise<number> {
    const clients = await this.db('login_clients').where('username_normalized', name).del();
    const accounts = await this.db('login_accounts').where('username_normalized', name).del();
    return clients + accounts;
  }

  /**
   * Deletes up to `batchSize` rows that no longer decide anything: accounts whose budget
   * is whole again, and clients neither refused, nor known, nor failing within `staleMs`.
   */
  async deleteStale(now: Date, knownForMs: number, staleMs: number, batchSize: number): Promise<number> {
    const timestamp = toDbTime(now);
    const accounts: string[] = await this.db('login_accounts')
      .where('budget_until', '<=', timestamp)
      .limit(batchSize)
      .pluck('id');
    const clients: string[] = await this.db('login_clients')
      .where((refused) => refused.whereNull('refused_until').orWhere('refused_until', '<=', timestamp))
      .andWhere((known) =>
        known
          .whereNull('last_success_at')
          .orWhere('last_success_at', '<=', toDbTime(new Date(now.getTime() - knownForMs))),
      )
      .andWhere('updated_at', '<=', toDbTime(new Date(now.getTime() - staleMs)))
      .limit(batchSize)
      .pluck('id');
    const deleted =
      (accounts.length > 0 ? await this.db('login_accounts').whereIn('id', accounts).del() : 0) +
      (clients.length > 0 ? await this.db('login_clients').whereIn('id', clients).del() : 0);
    return deleted;
  }

  private notRefused(name: string, client: string, timestamp: string) {
    return this.db('login_clients')
      .where({ username_normalized: name, client_key: client })
      .andWhere((open) => open.whereNull('refused_until').orWhere('refused_until', '<=', timestamp));
  }

  /** Runs a conditional update; when no row matched because there is none yet, makes it and runs it again. */
  private async onExistingRow(name: string, client: string, now: Date, update: () => Promise<number>) {
    if ((await update()) === 1) return true;
    const timestamp = toDbTime(now);
    await this.db('login_clients')
      .insert({
        id: uuidv7(),
        username_normalized: name,
        client_key: client,
        consecutive_failures: 0,
        refused_until: null,
        last_success_at: null,
        created_at: timestamp,
        updated_at: timestamp,
      })
      .onConflict(['username_normalized', 'client_key'])
      .ignore();
    return (await update()) === 1;
  }

  private async ensureAccountRow(name: string, now: Date): Promise<void> {
    const timestamp = toDbTime(now);
    await this.db('login_accounts')
      .insert({
        id: uuidv7(),
        username_normalized: name,
        budget_until: timestamp,
        paced_attempts: 0,
        created_at: timestamp,
        updated_at: timestamp,
      })
      .onConflict(['username_normalized'])
      .ignore();
  }
}
