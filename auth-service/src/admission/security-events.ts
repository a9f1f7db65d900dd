import type { Logger } from 'pino';

export type SecurityEventName =
  | 'client throttled'
  | 'login refused for client'
  | 'account slowed'
  | 'login counters cleared'
  | 'password changed'
  | 'account disabled'
  | 'account enabled';

/** A refusal that keeps happening (a flood) is one event: repeated only after this quiet time. */
const repeatAfterMs = 60_000;
const rememberedEpisodes = 10_000;

/**
 * Structured security events: one log line per episode (`event`, `username`, `client`;
 * never a password), at warn so production levels keep them. Counting every refused
 * call is the gateway's `/metrics` (auth_refusals_total, from the reason each refusal
 * carries).
 */
export class SecurityEvents {
  private readonly lastLogged = new Map<string, number>();

  constructor(private readonly logger: Logger) {}

  /** Logs the event unless the same episode (`event` + `episode`) was logged within the last minute. */
  emit(event: SecurityEventName, fields: { client?: string; username?: string } & Record<string, unknown>): void {
    const episode = `${event}\u0000${fields.username ?? ''}\u0000${fields.client ?? ''}`;
    const now = Date.now();
    const last = this.lastLogged.get(episode);
    if (last !== undefined && now - last < repeatAfterMs) return;
    this.lastLogged.delete(episode);
    this.lastLogged.set(episode, now);
    if (this.lastLogged.size > rememberedEpisodes) {
      const oldest = this.lastLogged.keys().next();
      if (!oldest.done) this.lastLogged.delete(oldest.value);
    }
    this.logger.warn({ securityEvent: event, ...fields }, `security event: ${event}`);
  }
}
