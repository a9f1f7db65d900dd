import { randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';
import { ConcurrencyLimiter } from './concurrency-limiter';

/**
 * bcrypt on libuv's thread pool, never more than `maxConcurrency` at once. On a small
 * pod (2 cores shared with the gateway) two hashes already saturate the CPU: more at
 * once would not log anyone in faster, but would take the pool threads and the CPU
 * that ValidateToken, Refresh and the database driver need. Excess logins queue (a
 * bounded queue; beyond it they are turned away as UNAVAILABLE rather than piling up).
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
