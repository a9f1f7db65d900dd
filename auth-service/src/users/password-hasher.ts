import { randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';
import { FairQueue, HashTimer, type QueueTicket } from '../admission/fair-queue';

/** Work of the operator (start-up bootstrap, commands): one key of its own, no deadline. */
export const operatorTicket: QueueTicket = { key: 'operator', lane: 'other', deadline: Number.POSITIVE_INFINITY };

/**
 * bcrypt on libuv's thread pool, never more than `maxConcurrency` at once
 * (BCRYPT_MAX_CONCURRENCY, default 1). A hash keeps a core busy for its whole length:
 * on a small pod (2 cores shared with the gateway, the auth container limited to one)
 * a second concurrent hash would not log anyone in faster, but would take the CPU that
 * ValidateToken, Refresh, the gateway and the database need — measured, reads kept
 * about half their throughput while logins saturated two bcrypt slots, and more with
 * one. Raise it with the auth container's CPU. Waiting work is served fairly and admitted
 * only when it can finish in time (see FairQueue).
 */
export class PasswordHasher {
  readonly queue: FairQueue;

  private constructor(
    private readonly cost: number,
    limits: { maxConcurrency: number; maxQueue: number },
    /** A hash of a random secret at the same cost: unknown usernames are checked against it. */
    private readonly dummyHash: string,
    hashMs: number,
  ) {
    this.queue = new FairQueue(limits.maxConcurrency, limits.maxQueue, new HashTimer(hashMs));
  }

  /** Makes the dummy hash, and takes its time as the first estimate of a hash's length. */
  static async create(cost: number, limits: { maxConcurrency: number; maxQueue: number }): Promise<PasswordHasher> {
    const started = performance.now();
    const dummyHash = await bcrypt.hash(randomBytes(16).toString('hex'), cost);
    return new PasswordHasher(cost, limits, dummyHash, performance.now() - started);
  }

  hash(password: string, ticket: QueueTicket): Promise<string> {
    return this.queue.run(ticket, () => bcrypt.hash(password, this.cost));
  }

  /**
   * Compares against the stored hash, or against the dummy hash when there is no
   * account, so both cases cost exactly one bcrypt operation of the same cost.
   */
  verify(password: string, storedHash: string | null, ticket: QueueTicket): Promise<boolean> {
    return this.queue.run(ticket, async () => {
      const matches = await bcrypt.compare(password, storedHash ?? this.dummyHash);
      return matches && storedHash !== null;
    });
  }
}
