import { RefusedError, UnavailableError } from '../errors';

/**
 * `known`: a login from a client that logged in to that account successfully before
 * (an attacker cycling names is never known); `other`: everything else.
 */
export type Lane = 'known' | 'other';

export interface QueueTicket {
  /** Work is shared round-robin between these keys (a client, or a client and an account). */
  key: string;
  lane: Lane;
  /** Epoch ms by which the caller must have its answer (Infinity: no deadline). */
  deadline: number;
  /** Aborted when the caller goes away: its queued work is dropped. */
  signal?: AbortSignal;
}

interface Waiter {
  ticket: QueueTicket;
  start(): void;
  refuse(error: Error): void;
  /** Refuses the waiter once it could no longer be hashed and answered in time. */
  expiry?: NodeJS.Timeout;
}

/** Known logins are served first, but never more than this many in a row while others wait. */
const knownTurnsInARow = 3;
/** Kept free at the end of a deadline for the database writes and the way back. */
const answerMarginMs = 250;
/** A hash may take this many times the measured length on a busy machine: work starts only with that much time left. */
const slowHashFactor = 2;

/**
 * Measures how long one hash takes on this machine, now: the wait a queue position means.
 * Starts from a measured hash and follows recent ones (exponentially weighted).
 */
export class HashTimer {
  constructor(private estimate: number) {}

  get ms(): number {
    return this.estimate;
  }

  observe(ms: number): void {
    this.estimate = this.estimate * 0.7 + ms * 0.3;
  }
}

/** A lane of waiting work: keys in round-robin order, each with its own FIFO. */
class RoundRobin {
  private readonly byKey = new Map<string, Waiter[]>();

  get empty(): boolean {
    return this.byKey.size === 0;
  }

  push(waiter: Waiter): void {
    const list = this.byKey.get(waiter.ticket.key);
    if (list) list.push(waiter);
    else this.byKey.set(waiter.ticket.key, [waiter]);
  }

  /** The first key's oldest waiter; the key goes to the back of the round if it has more. */
  shift(): Waiter | undefined {
    const first = this.byKey.entries().next();
    if (first.done) return undefined;
    const [key, list] = first.value;
    const waiter = list.shift();
    this.byKey.delete(key);
    if (list.length > 0) this.byKey.set(key, list);
    return waiter;
  }

  remove(waiter: Waiter): boolean {
    const list = this.byKey.get(waiter.ticket.key);
    const index = list?.indexOf(waiter) ?? -1;
    if (!list || index < 0) return false;
    list.splice(index, 1);
    if (list.length === 0) this.byKey.delete(waiter.ticket.key);
    return true;
  }

  copy(): RoundRobin {
    const clone = new RoundRobin();
    for (const [key, list] of this.byKey) clone.byKey.set(key, [...list]);
    return clone;
  }
}

/**
 * Runs at most `concurrency` hashes at once. Waiting work is served round-robin across
 * keys, so one client's backlog never stands in front of everyone else's next turn, and
 * known logins go ahead of the rest (see knownTurnsInARow).
 *
 * Overload is answered with 429 (`auth-busy`), never with a wait that ends in a deadline
 * error. A call is queued only if the work served before it, plus its own hash, ends
 * before its deadline; its place in the rounds may not make a call behind it miss a
 * deadline it would have made — except that a known login displaces other work, which is
 * then refused at once. And work whose deadline can no longer be met when its turn comes
 * (hashes took longer than measured) is refused then, not started.
 */
export class FairQueue {
  private running = 0;
  private waiting = 0;
  private knownInARow = 0;
  private readonly lanes: Record<Lane, RoundRobin> = { known: new RoundRobin(), other: new RoundRobin() };

  constructor(
    private readonly concurrency: number,
    private readonly maxQueue: number,
    readonly timer: HashTimer,
  ) {}

  /** How long a call queued now would wait before its hash starts (for pacing decisions). */
  expectedWaitMs(): number {
    return this.startDelayMs(this.waiting);
  }

  async run<T>(ticket: QueueTicket, task: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) {
      this.running += 1;
    } else {
      await this.enqueue(ticket);
    }
    try {
      if (ticket.signal?.aborted) throw new UnavailableError('the caller went away');
      const started = performance.now();
      const result = await task();
      this.timer.observe(performance.now() - started);
      return result;
    } finally {
      this.release();
    }
  }

  private enqueue(ticket: QueueTicket): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { ticket, start: resolve, refuse: reject };
      if (this.waiting >= this.maxQueue && !(ticket.lane === 'known' && this.displaceable() !== undefined)) {
        return reject(this.busy());
      }
      const order = this.plannedOrder(waiter);
      const own = order.indexOf(waiter);
      const now = Date.now();
      if (this.finishesAt(now, own) > ticket.deadline) return reject(this.busy());
      // Those served after it move back one place: none may miss a deadline it would have made.
      const displaced: Waiter[] = [];
      for (let position = own + 1; position < order.length; position += 1) {
        const behind = order[position];
        const deadline = behind.ticket.deadline;
        if (this.finishesAt(now, position) <= deadline || this.finishesAt(now, position - 1) > deadline) continue;
        if (ticket.lane === 'known' && behind.ticket.lane === 'other') displaced.push(behind);
        else return reject(this.busy());
      }
      if (this.waiting >= this.maxQueue) {
        // Checked above: a known login finds someone to displace when the queue is full.
        const victim = this.displaceable();
        if (victim) displaced.push(victim);
      }
      for (const other of new Set(displaced)) this.drop(other, this.busy());
      this.lanes[ticket.lane].push(waiter);
      this.waiting += 1;
      ticket.signal?.addEventListener('abort', () => this.drop(waiter, new UnavailableError('the caller went away')), {
        once: true,
      });
      // Hashes ran longer than measured and its turn has not come: refused while it can still be answered.
      if (Number.isFinite(ticket.deadline)) {
        waiter.expiry = setTimeout(() => this.drop(waiter, this.busy()), ticket.deadline - now - this.startBudgetMs());
        waiter.expiry.unref();
      }
    });
  }

  /** The other-lane work a known login may push out of a full queue: the last to be served. */
  private displaceable(): Waiter | undefined {
    return this.plannedOrder().findLast((waiter) => waiter.ticket.lane === 'other');
  }

  /** Takes a waiter out of the queue (if still there) and answers it with `error`. */
  private drop(waiter: Waiter, error: Error): void {
    if (!this.lanes[waiter.ticket.lane].remove(waiter)) return;
    clearTimeout(waiter.expiry);
    this.waiting -= 1;
    waiter.refuse(error);
  }

  /** The time a hash must still have before its deadline when it starts. */
  private startBudgetMs(): number {
    return slowHashFactor * this.timer.ms + answerMarginMs;
  }

  private busy(): RefusedError {
    return new RefusedError('auth-busy', this.startDelayMs(this.waiting) + this.timer.ms);
  }

  /** When the work at `position` in the queue must be answered by, if the hashes before it take the usual time. */
  private finishesAt(now: number, position: number): number {
    return now + this.startDelayMs(position) + this.startBudgetMs();
  }

  /** When the work at `position` in the queue would start, if every hash took the usual time. */
  private startDelayMs(position: number): number {
    const ahead = this.running + position;
    return Math.floor(ahead / this.concurrency) * this.timer.ms;
  }

  /** The order the queue would serve its waiters in, with `extra` added. */
  private plannedOrder(extra?: Waiter): Waiter[] {
    const lanes = { known: this.lanes.known.copy(), other: this.lanes.other.copy() };
    if (extra) lanes[extra.ticket.lane].push(extra);
    const order: Waiter[] = [];
    let knownInARow = this.knownInARow;
    for (;;) {
      const lane = nextLane(lanes, knownInARow);
      const waiter = lane && lanes[lane].shift();
      if (!lane || !waiter) return order;
      knownInARow = lane === 'known' ? knownInARow + 1 : 0;
      order.push(waiter);
    }
  }

  /**
   * Hands the slot to the next waiter that can still be answered in time (the running
   * count stays), refusing those that cannot; or frees it.
   */
  private release(): void {
    for (;;) {
      const lane = nextLane(this.lanes, this.knownInARow);
      const next = lane && this.lanes[lane].shift();
      if (!lane || !next) {
        this.running -= 1;
        return;
      }
      this.waiting -= 1;
      clearTimeout(next.expiry);
      if (Date.now() + this.startBudgetMs() > next.ticket.deadline) {
        next.refuse(new RefusedError('auth-busy', this.timer.ms));
        continue;
      }
      this.knownInARow = lane === 'known' ? this.knownInARow + 1 : 0;
      next.start();
      return;
    }
  }
}

function nextLane(lanes: Record<Lane, RoundRobin>, knownInARow: number): Lane | null {
  if (!lanes.known.empty && (lanes.other.empty || knownInARow < knownTurnsInARow)) return 'known';
  if (!lanes.other.empty) return 'other';
  return null;
}
