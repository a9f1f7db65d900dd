import type { Logger } from 'pino';
import { errorCode } from '../../../common/src/database-errors';
import type { SessionRepository } from './session-repository';

const purgeIntervalMs = 60 * 60 * 1000;
const batchSize = 500;

/**
 * Deletes sessions whose refresh token has expired, a batch at a time, once an hour.
 * Every replica may run it: deleting an already deleted row is harmless.
 */
export class SessionPurger {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.purge().catch(() => undefined), purgeIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Deletes every expired session now; returns how many. */
  purge(now = new Date()): Promise<number> {
    this.running ??= (async () => {
      let total = 0;
      try {
        for (;;) {
          const deleted = await this.sessions.deleteExpired(now, batchSize);
          total += deleted;
          if (deleted < batchSize) break;
        }
        if (total > 0) this.logger.info({ deleted: total }, 'expired sessions purged');
      } catch (error) {
        this.logger.warn({ errorCode: errorCode(error) }, 'purging expired sessions failed');
        throw error;
      } finally {
        this.running = undefined;
      }
      return total;
    })();
    return this.running;
  }
}
