import { RefusedError } from '../errors';
import type { ClientIdentity } from './client-identity';
import type { ClientRate } from './client-rate';
import type { FairQueue, QueueTicket } from './fair-queue';
import type { SecurityEvents } from './security-events';

export interface AdmissionRequest {
  client: ClientIdentity;
  /**
   * The normalised username when the client is known for that account (a recent
   * successful login from it): such a login is limited per client and account, not per
   * client, and is not charged to the client's hashes per minute.
   */
  knownAccount: string | null;
  /** Epoch ms by which the caller needs its answer. */
  deadline: number;
  signal?: AbortSignal;
}

/** Work that passed admission: its queue ticket, and what to do when it ends. */
export interface AdmittedWork {
  ticket: QueueTicket;
  /** The work succeeded as a login: its hash does not count against the client. */
  succeeded(): Promise<void>;
  /** Frees the client's share of in-flight work (always, however the work ended). */
  done(): void;
}

/**
 * Admission of everything that hashes a password (register, login, and any later call
 * that does): per client, before anything is queued. A client over its share is refused
 * at once with a Retry-After (`client-throttled`):
 * - at most `maxInFlight` calls queued or running on this replica (the replica's own CPU);
 * - at most its hashes per minute across replicas (ClientRate, in the auth database).
 * What is admitted then waits in the FairQueue, which admits it only if it can finish in time.
 */
export class PasswordAdmission {
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly queue: FairQueue,
    private readonly rate: ClientRate,
    private readonly maxInFlight: number,
    private readonly events: SecurityEvents,
  ) {}

  async admit(request: AdmissionRequest): Promise<AdmittedWork> {
    const { client, knownAccount } = request;
    const shareKey = knownAccount === null ? client.key : `${client.key} ${knownAccount}`;
    const running = this.inFlight.get(shareKey) ?? 0;
    if (running >= this.maxInFlight) {
      throw this.throttled(client, this.queue.expectedWaitMs() + this.queue.timer.ms, 'work in flight');
    }
    this.inFlight.set(shareKey, running + 1);
    let released = false;
    const done = () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(shareKey) ?? 1) - 1;
      if (left > 0) this.inFlight.set(shareKey, left);
      else this.inFlight.delete(shareKey);
    };
    const charged = knownAccount === null;
    try {
      if (charged) {
        const waitMs = await this.rate.take(client.key);
        if (waitMs !== null) throw this.throttled(client, waitMs, 'hashes per minute');
      }
    } catch (error) {
      done();
      throw error;
    }
    return {
      ticket: {
        key: shareKey,
        lane: knownAccount === null ? 'other' : 'known',
        deadline: request.deadline,
        signal: request.signal,
      },
      succeeded: () => (charged ? this.rate.giveBack(client.key) : Promise.resolve()),
      done,
    };
  }

  private throttled(client: ClientIdentity, retryAfterMs: number, share: string): RefusedError {
    this.events.emit('client throttled', { client: client.key, viaGateway: client.viaGateway, share });
    return new RefusedError('client-throttled', retryAfterMs);
  }
}
