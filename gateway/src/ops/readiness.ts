import type { SqlDatabase } from '../../../common/src/sql/database';
import type { AuthClient } from '../auth/auth-client';
import type { Caller } from '../auth/caller';

export interface Readiness {
  status: 'ready' | 'unavailable';
  checks: { database: 'up' | 'down'; authService: 'up' | 'down' };
}

/** A probe must answer promptly even when a dependency hangs. */
const checkTimeoutMs = 2000;

function within<T>(promise: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), checkTimeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Ready when the orders database answers and the auth service reports SERVING. */
export async function checkReadiness(db: SqlDatabase, auth: AuthClient, caller: Caller): Promise<Readiness> {
  const [database, authService] = await Promise.all([within(db.ping(), false), within(auth.serving(caller), false)]);
  return {
    status: database && authService ? 'ready' : 'unavailable',
    checks: { database: database ? 'up' : 'down', authService: authService ? 'up' : 'down' },
  };
}
