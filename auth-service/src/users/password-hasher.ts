import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import bcrypt from 'bcrypt';
import { FairQueue, HashTimer, type QueueTicket } from '../admission/fair-queue';

/** Work of the operator (start-up bootstrap, commands): one key of its own, no deadline. */
export const operatorTicket: QueueTicket = { key: 'operator', lane: 'other', deadline: Number.POSITIVE_INFINITY };

/**
 * How a stored hash was made (users.password_scheme):
 * - `hmac-sha256-bcrypt`: bcrypt of the base64 HMAC-SHA-256 of the NFC password under
 *   the server's pepper (PASSWORD_PEPPER). bcrypt reads only 72 bytes; the 44 base64
 *   characters carry every bit of the whole password, with no NUL byte, and the key
 *   keeps a stolen database from being "shucked" against unkeyed hash lists.
 * - `bcrypt`: bcrypt of the password as typed, as hashes were made before; still
 *   verified (the password policy then capped passwords at 72 bytes) and replaced by
 *   the current scheme at the account's next successful login.
 */
export type PasswordScheme = 'hmac-sha256-bcrypt' | 'bcrypt';
/** Every scheme a stored hash may name, for reading rows. */
export const passwordSchemes: Record<PasswordScheme, true> = { 'hmac-sha256-bcrypt': true, bcrypt: true };
export const currentPasswordScheme: PasswordScheme = 'hmac-sha256-bcrypt';

export interface StoredPassword {
  hash: string;
  scheme: PasswordScheme;
}

/** The old scheme hashed the password as typed; bcrypt would silently ignore anything past 72 bytes. */
const legacyMaxBytes = 72;

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
    private readonly pepper: KeyObject,
    limits: { maxConcurrency: number; maxQueue: number },
    /** A current-scheme hash of a random secret at the same cost: unknown usernames are checked against it. */
    private readonly dummyHash: string,
    hashMs: number,
  ) {
    this.queue = new FairQueue(limits.maxConcurrency, limits.maxQueue, new HashTimer(hashMs));
  }

  /** Makes the dummy hash, and takes its time as the first estimate of a hash's length. */
  static async create(
    cost: number,
    pepper: string,
    limits: { maxConcurrency: number; maxQueue: number },
  ): Promise<PasswordHasher> {
    const key = createSecretKey(Buffer.from(pepper, 'utf8'));
    const started = performance.now();
    const dummyHash = await bcrypt.hash(peppered(key, randomBytes(16).toString('hex')), cost);
    return new PasswordHasher(cost, key, limits, dummyHash, performance.now() - started);
  }

  /** A hash in the current scheme. */
  async hash(password: string, ticket: QueueTicket): Promise<StoredPassword> {
    const hash = await this.queue.run(ticket, () => bcrypt.hash(peppered(this.pepper, password), this.cost));
    return { hash, scheme: currentPasswordScheme };
  }

  /**
   * Compares against the stored hash in its scheme, or against the dummy hash when there
   * is no account, so every case costs exactly one bcrypt operation of the same cost.
   */
  verify(password: string, stored: StoredPassword | null, ticket: QueueTicket): Promise<boolean> {
    return this.queue.run(ticket, async () => {
      const input = stored && this.inputFor(password, stored.scheme);
      if (!stored || input === null) {
        await bcrypt.compare(peppered(this.pepper, password), this.dummyHash);
        return false;
      }
      return bcrypt.compare(input, stored.hash);
    });
  }

  /** True when the stored hash is of an older scheme: to be replaced once the password is known. */
  needsUpgrade(stored: StoredPassword): boolean {
    return stored.scheme !== currentPasswordScheme;
  }

  /** What bcrypt compares for a scheme; null when no password could match (then the dummy is compared). */
  private inputFor(password: string, scheme: PasswordScheme): string | null {
    if (scheme === currentPasswordScheme) return peppered(this.pepper, password);
    if (scheme === 'bcrypt' && Buffer.byteLength(password, 'utf8') <= legacyMaxBytes) return password;
    return null;
  }
}

/** HMAC-SHA-256 of the NFC password under the pepper, base64 (44 characters, never a NUL byte). */
function peppered(pepper: KeyObject, password: string): string {
  return createHmac('sha256', pepper).update(password.normalize('NFC'), 'utf8').digest('base64');
}
