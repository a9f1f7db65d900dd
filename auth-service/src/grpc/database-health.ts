import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Logger } from 'pino';
import type { SqlDatabase } from '../../../common/src/sql/types';
import { authServiceName } from '../../../common/src/proto';

/**
 * The standard grpc.health.v1 service, SERVING only while the database answers. The
 * database is asked every `intervalMs` (one check at a time), and at once whenever a
 * call finds it unreachable, so probes and the gateway's readiness follow it both ways.
 * A failed check is repeated after `recheckMs`: a check that hung through an outage may
 * fail just after the database came back, and recovery must not wait a whole interval.
 */
export class DatabaseHealth {
  readonly implementation = new HealthImplementation({ '': 'NOT_SERVING', [authServiceName]: 'NOT_SERVING' });
  private current: ServingStatus = 'NOT_SERVING';
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private recheck: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly db: Pick<SqlDatabase, 'ping'>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly recheckMs = Math.min(500, intervalMs),
  ) {}

  get status(): ServingStatus {
    return this.current;
  }

  /** Checks once, then keeps checking until stopped. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  /** Asks the database now (joining a check already under way). */
  check(): Promise<void> {
    this.checking ??= this.db
      .ping()
      .then((answers) => {
        this.set(answers ? 'SERVING' : 'NOT_SERVING');
        if (!answers) this.scheduleRecheck();
      })
      .finally(() => {
        this.checking = undefined;
      });
    return this.checking;
  }

  /** Going away: NOT_SERVING for good, so balancers stop sending calls. */
  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.recheck);
    this.stopped = true;
    this.implementation.setStatus('', 'NOT_SERVING');
    this.implementation.setStatus(authServiceName, 'NOT_SERVING');
  }

  private scheduleRecheck(): void {
    if (this.stopped || this.recheck) return;
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      void this.check();
    }, this.recheckMs);
    this.recheck.unref();
  }

  private set(next: ServingStatus): void {
    if (this.stopped || next === this.current) return;
    this.current = next;
    this.implementation.setStatus('', next);
    this.implementation.setStatus(authServiceName, next);
    if (next === 'SERVING') this.logger.info('database answers: SERVING');
    else this.logger.warn('database does not answer: NOT_SERVING');
  }
}
