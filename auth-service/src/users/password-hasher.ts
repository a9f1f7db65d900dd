import { randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';
import { ConcurrencyLimiter } from './concurrency-limiter';

/**
 * bcrypt on libuv's thread pool, never more than `maxConcurrency` at once
 * (BCRYPT_MAX_CONCURRENCY, default 1). A hash keeps a core busy for its whole length:
 * on a small pod (2 cores shared with the gateway, the auth container limited to one)
 * a second concurrent hash would not log anyone in faster, but would take the CPU that
 * ValidateToken, Refresh, the gateway and the database need — measured, reads kept
 * about half their throughput while logins saturated two bcrypt slots, and more with
 * one. Raise it with the auth container's CPU. Excess logins queue (a bounded queue;
 * beyond it they are turned away as UNAVAILABLE rather than piling up).
 */
export class PasswordHasher {
  private readonly limiter: ConcurrencyLimiter;

  private constructor(
    private readonly cost: number,
    limits: { maxConcurrency: number; maxQueue: number },
    /** A hash of a random secret at the same cost: unknown usernames are checked against it. */
    private readonly dummyHash: string,
  ) {
    this.limiter = new ConcurrencyLimiter(limits.maxConcurrency, limits.maxQueue);
  }

  static async create(cost: number, limits: { maxConcurrency: number; maxQueue: number }): Promise<PasswordHasher> {
    const dummyHash = await bcrypt.hash(randomBytes(16).toString('hex'), cost);
    return new PasswordHasher(cost, limits, dummyHash);
  }

  hash(password: string, signal?: AbortSignal): Promise<string> {
    return this.limiter.run(() => bcrypt.hash(password, this.cost), signal);
  }

  /**
   * Compares against the stored hash, or against the dummy hash when there is no
   * account, so both cases cost exactly one bcrypt operation of the same cost.
   */
  verify(password: string, storedHash: string | null, signal?: AbortSignal): Promise<boolean> {
    return this.limiter.run(async () => {
      const matches = await bcrypt.compare(password, storedHash ?? this.dummyHash);
      return matches && storedHash !== null;
    }, signal);
  }
}
