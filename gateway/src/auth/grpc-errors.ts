import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { callMetadata } from '../../../common/src/proto';
import { ProblemError, type ProblemCode } from '../http/problem';

/** When the auth service sends no `retry-after-seconds`, a refused client waits this long. */
const defaultRefusalRetrySeconds = 60;
/** The auth service is down or slow (it is restarted or reconnected within about a second), unless it says otherwise. */
const unavailableRetrySeconds = 1;

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && 'code' in error && typeof error.code === 'number' && 'metadata' in error;
}

/** The auth-service's trailing `retry-after-seconds`, or `fallback` when it sends none. */
function retryAfterFrom(error: ServiceError, fallback: number): number {
  const value = Number(error.metadata?.get(callMetadata.retryAfterSeconds)[0]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Each refusal the auth-service explains (trailing `refusal-reason`), with the answer the client gets. */
const refusals = {
  'client-throttled': 'This client sent too many password requests; retry after the delay.',
  'too-many-login-failures': 'Too many failed logins from this client for this account; retry after the delay.',
  'account-slowed': 'Logins to this account are being slowed after many failures; retry after the delay.',
  'auth-busy': 'Too many password requests are in progress; retry after the delay.',
} as const satisfies Partial<Record<ProblemCode, string>>;

export type RefusalReason = keyof typeof refusals;

function isRefusalReason(reason: string): reason is RefusalReason {
  return reason in refusals;
}

/** Why the auth-service refused a call (RESOURCE_EXHAUSTED), or null for any other answer. */
export function refusalReasonOf(error: ServiceError): RefusalReason | null {
  if (error.code !== GrpcStatus.RESOURCE_EXHAUSTED) return null;
  const reason = String(error.metadata?.get(callMetadata.refusalReason)[0] ?? '');
  return isRefusalReason(reason) ? reason : 'auth-busy';
}

/** The session the auth-service ended while refusing a call (a reused refresh token's), if it says so. */
export function endedSessionOf(error: unknown): string | null {
  const cause = error instanceof ProblemError ? error.cause : error;
  if (!isServiceError(cause) || cause.code !== GrpcStatus.UNAUTHENTICATED) return null;
  const value = cause.metadata?.get(callMetadata.endedSessionId)[0];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * The one translation of auth-service answers into problem details. `UNAUTHENTICATED`
 * means wrong credentials on login and a bad token everywhere else.
 */
export function problemFromGrpc(
  error: unknown,
  unauthenticated: 'unauthenticated' | 'invalid-credentials',
): ProblemError {
  if (!isServiceError(error)) {
    return new ProblemError('internal-error', 'The request could not be completed.', { cause: error });
  }
  switch (error.code) {
    case GrpcStatus.INVALID_ARGUMENT:
      // The auth service's own rules (password strength and the like): its message is meant for the client.
      return new ProblemError('invalid-request', error.details || 'The request breaks an account rule.', {
        cause: error,
      });
    case GrpcStatus.ALREADY_EXISTS:
      return new ProblemError('username-taken', 'This username is already taken.', { cause: error });
    case GrpcStatus.NOT_FOUND:
      return new ProblemError('not-found', 'No such resource.', { cause: error });
    case GrpcStatus.PERMISSION_DENIED:
      return new ProblemError('forbidden', 'This operation needs an ADMIN.', { cause: error });
    case GrpcStatus.UNAUTHENTICATED:
      return unauthenticated === 'invalid-credentials'
        ? new ProblemError('invalid-credentials', 'The username or password is wrong.', { cause: error })
        : new ProblemError('unauthenticated', 'The token is invalid, expired or revoked.', { cause: error });
    case GrpcStatus.RESOURCE_EXHAUSTED: {
      const reason = refusalReasonOf(error) ?? 'auth-busy';
      return new ProblemError(reason, refusals[reason], {
        cause: error,
        retryAfterSeconds: retryAfterFrom(error, defaultRefusalRetrySeconds),
      });
    }
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new ProblemError('auth-service-unavailable', 'The auth service is unavailable; try again shortly.', {
        cause: error,
        retryAfterSeconds: retryAfterFrom(error, unavailableRetrySeconds),
      });
    default:
      return new ProblemError('internal-error', 'The request could not be completed.', { cause: error });
  }
}
