import BetterSqlite3 from 'better-sqlite3';
import { Redis } from 'ioredis';
import { createPool, type Pool } from 'mysql2';
import {
  RateLimiterMemory,
  RateLimiterMySQL,
  RateLimiterRedis,
  RateLimiterRes,
  RateLimiterSQLite,
  type RateLimiterStoreAbstract,
} from 'rate-limiter-flexible';
import type { DatabaseConfig } from '../../../common/src/config';
import { mysqlConnectionOptions } from '../../../common/src/sql/mysql';

/** The counters' table, created by the auth migrations (never by the library at run time). */
export const clientRateTable = 'client_hash_counts';

const windowSeconds = 60;

/** The limiter's own MySQL connections: one statement sequence per take, a couple at once is plenty. */
const storePoolSize = 2;

/** What the limiter's store holds open, closed with it. */
type StoreClient =
  { kind: 'redis'; redis: Redis } | { kind: 'mysql'; pool: Pool } | { kind: 'sqlite'; db: BetterSqlite3.Database };

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
    private readonly client: StoreClient,
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
      { kind: 'redis', redis },
    );
  }

  /**
   * Counters in the auth database, through connections of the limiter's own (a small
   * mysql2 pool, or a better-sqlite3 connection to the same file), opened here and
   * closed with it.
   */
  static inDatabase(database: DatabaseConfig, perMinute: number): ClientRate {
    const options = {
      tableName: clientRateTable,
      tableCreated: true,
      keyPrefix: clientRateKeyPrefix,
      points: perMinute,
      duration: windowSeconds,
      inMemoryBlockOnConsumed: perMinute + 1,
    };
    if (database.client === 'mysql') {
      const pool = createPool({ ...mysqlConnectionOptions(database), connectionLimit: storePoolSize });
      return new ClientRate(
        new RateLimiterMySQL({ ...options, storeClient: pool, storeType: 'pool', dbName: database.database }),
        { kind: 'mysql', pool },
      );
    }
    const db = new BetterSqlite3(database.filename);
    db.pragma('busy_timeout = 5000');
    return new ClientRate(new RateLimiterSQLite({ ...options, storeClient: db, storeType: 'better-sqlite3' }), {
      kind: 'sqlite',
      db,
    });
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

  async close(): Promise<void> {
    const { client } = this;
    if (client.kind === 'redis') client.redis.disconnect();
    else if (client.kind === 'sqlite') client.db.close();
    else await new Promise<void>((resolve, reject) => client.pool.end((error) => (error ? reject(error) : resolve())));
  }
}
