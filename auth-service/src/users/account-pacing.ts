import type { SecurityEvents } from '../admission/security-events';
import { RefusedError } from '../errors';
import type { LoginCounters, PacingPolicy } from './login-counters';

/** How many slowed accounts one replica remembers. */
const rememberedAccounts = 10_000;

/**
 * The account-wide ceiling (LoginCounters.takeSlot), with this replica's memory of
 * accounts whose next slot is far away: while it is further than a caller can wait, the
 * caller is refused (`account-slowed`) without asking the database, so a flood against
 * a slowed account costs no row lock per request. Slots only move later while an account
 * is attacked; a success elsewhere can bring one closer, and then this replica refuses
 * a little longer than needed, never beyond the slot it last saw.
 */
export class AccountPacing {
  private readonly farSlots = new Map<string, number>();

  constructor(
    private readonly counters: LoginCounters,
    private readonly policy: PacingPolicy,
    private readonly events: SecurityEvents,
  ) {}

  /** Waits for the account's slot; refuses when it is more than `maxWaitMs` away. Returns what was reserved. */
  async take(name: string, maxWaitMs: number, signal?: AbortSignal): Promise<{ reservedMs: number }> {
    const remembered = this.farSlots.get(name);
    if (remembered !== undefined) {
      if (remembered - Date.now() > maxWaitMs) throw this.slowed(name, remembered);
      this.farSlots.delete(name);
    }
    const slot = await this.counters.takeSlot(name, this.policy, maxWaitMs);
    if (!slot.granted) {
      this.remember(name, slot.slotAt);
      throw this.slowed(name, slot.slotAt);
    }
    if (slot.startedSlowing) this.events.emit('account slowed', { username: name });
    const waitMs = slot.slotAt - Date.now();
    if (waitMs > 0) await sleep(waitMs, signal);
    return { reservedMs: slot.reservedMs };
  }

  /** A successful login gives its reservation back. */
  giveBack(name: string, reservedMs: number): Promise<void> {
    return this.counters.giveBackSlot(name, reservedMs);
  }

  private remember(name: string, slotAt: number): void {
    this.farSlots.delete(name);
    this.farSlots.set(name, slotAt);
    if (this.farSlots.size > rememberedAccounts) {
      const oldest = this.farSlots.keys().next();
      if (!oldest.done) this.farSlots.delete(oldest.value);
    }
  }

  private slowed(name: string, slotAt: number): RefusedError {
    this.events.emit('account slowed', { username: name });
    return new RefusedError('account-slowed', slotAt - Date.now());
  }
}

/** Waits out an account's slot; a caller that goes away stops waiting. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
