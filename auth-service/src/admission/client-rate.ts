import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import {
  RateLimiterMemory,
  RateLimiterMySQL,
  RateLimiterRedis,
  RateLimiterRes,
  RateLimiterSQLite,
  type RateLimiterStoreAbstract,
} from 'rate-limiter-flexible';
import type { DatabaseConfig } from '../../../common/src/config';

/** The counters' table, created by the auth migrations (never by the library at run time). */
export const clientRateTable = 'client_hash_counts';

const windowSeconds = 60;

/** Key prefix of the counters: `client-hashes:<client>` (in Redis under `aletheia:`). */
export const clientRateKeyPrefix = 'client-hashes';

/**
 * How many password hashes each client may cause per minute, counted where every replica
 * sees it: in the auth database by default (rate-limiter-flexible, one row per client and
 * window), or in Redis when AUTH_RATE_LIMIT_REDIS_URL names one. A client over its share
 * is answered from this replica's memory until its window ends, so a flood costs the
 * store one write per replica, not one per request.
 */
export class ClientRate {
  private constructor(
    private readonly limiter: RateLimiterStoreAbstract,
    private readonly redis?: Redis,
  ) {}

  /**
   * Counters in Redis. Connects now, so a wrong URL stops start-up; while Redis is
   * unreachable later, each replica counts in its own memory (the insurance limiter)
   * rather than failing logins.
   */
  static async inRedis(url: string, perMinute: number): Promise<ClientRate> {
    const redis = new Redis(url, { enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const options = { points: perMinute, duration: windowSeconds };
    return new ClientRate(
      new RateLimiterRedis({
        ...options,
        storeClient: redis,
        keyPrefix: `aletheia:${clientRateKeyPrefix}`,
        inMemoryBlockOnConsumed: perMinute + 1,
        insuranceLimiter: new RateLimiterMemory(options),
      }),
      redis,
    );
  }

  static inDatabase(db: Knex, database: DatabaseConfig, perMinute: number): ClientRate {
    const options = {
      storeClient: db,
      storeType: 'knex',
      tableName: clientRateTable,
      tableCreated: true,
      keyPrefix: clientRateKeyPrefix,
      points: perMinute,
      duration: windowSeconds,
      inMemoryBlockOnConsumed: perMinute + 1,
    };
    return new ClientRate(
      database.client === 'mysql'
        ? new RateLimiterMySQL({ ...options, dbName: database.database })
        : new RateLimiterSQLite(options),
    );
  }

  /** Takes one hash from the client's share: null when granted, else the ms until its window ends. */
  async take(clientKey: string): Promise<number | null> {
    try {
      await this.limiter.consume(clientKey);
      return null;
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) return Math.max(1, outcome.msBeforeNext);
      throw outcome;
    }
  }

  /** Gives a hash back (a successful login): customers sharing an address do not use up each other's share. */
  async giveBack(clientKey: string): Promise<void> {
    await this.limiter.reward(clientKey);
  }

  close(): void {
    this.redis?.disconnect();
  }
}
