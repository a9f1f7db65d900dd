import type { SqlDatabase } from '../../../common/src/sql/types';
import type { Logger } from 'pino';
import { ClientRate } from '../admission/client-rate';
import { PasswordAdmission } from '../admission/password-admission';
import { SecurityEvents } from '../admission/security-events';
import type { AuthConfig } from '../config';
import type { SessionRepository } from '../sessions/session-repository';
import { AccountPacing } from './account-pacing';
import { AccountService } from './account-service';
import { AccountStore } from './account-store';
import { LoginCounters } from './login-counters';
import { PasswordHasher } from './password-hasher';

const dayMs = 86_400_000;

/** The account service and what it stands on, as the service and the operator commands use it. */
export async function createAccounts(
  db: SqlDatabase,
  config: AuthConfig,
  logger: Logger,
): Promise<{
  accounts: AccountService;
  counters: LoginCounters;
  sessionRows: SessionRepository;
  close(): Promise<void>;
}> {
  const hasher = await PasswordHasher.create(config.bcryptCost, config.passwordPepper, {
    maxConcurrency: config.bcryptMaxConcurrency,
    maxQueue: config.bcryptMaxQueue,
  });
  const events = new SecurityEvents(logger);
  const rate =
    config.rateLimitRedisUrl === null
      ? ClientRate.inDatabase(config.database, config.clientMaxHashesPerMinute)
      : await ClientRate.inRedis(config.rateLimitRedisUrl, config.clientMaxHashesPerMinute);
  const admission = new PasswordAdmission(hasher.queue, rate, config.clientMaxInFlight, events);
  const counters = new LoginCounters(db);
  const store = new AccountStore(db);
  const accounts = new AccountService(
    store,
    hasher,
    admission,
    counters,
    new AccountPacing(counters, { maxFailuresPerHour: config.loginAccountMaxFailuresPerHour }, events),
    {
      maxFailures: config.loginMaxFailures,
      lockSeconds: config.loginLockSeconds,
      knownClientMs: config.loginKnownClientDays * dayMs,
    },
    events,
  );
  return { accounts, counters, sessionRows: store.sessions, close: () => rate.close() };
}
