import type { Logger } from 'pino';
import { errorCode } from '../../common/src/database-errors';

const purgeIntervalMs = 60 * 60 * 1000;
const batchSize = 500;

/**
 * Deletes rows that no longer decide anything (expired sessions, stale login counters),
 * a batch at a time, once an hour. Every replica may run it: deleting an already deleted
 * row is harmless.
 */
export class Purger {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    /** What the rows are, for the log: `expired sessions`. */
    private readonly what: string,
    private readonly deleteBatch: (now: Date, batchSize: number) => Promise<number>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.purge().catch(() => undefined), purgeIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Deletes every such row now; returns how many. */
  purge(now = new Date()): Promise<number> {
    this.running ??= (async () => {
      let total = 0;
      try {
        for (;;) {
          const deleted = await this.deleteBatch(now, batchSize);
          total += deleted;
          if (deleted < batchSize) break;
        }
        if (total > 0) this.logger.info({ deleted: total }, `${this.what} purged`);
      } catch (error) {
        this.logger.warn({ errorCode: errorCode(error) }, `purging ${this.what} failed`);
        throw error;
      } finally {
        this.running = undefined;
      }
      return total;
    })();
    return this.running;
  }
}
