import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ProblemError } from '../http/problem';

/** When the auth service sends no `retry-after-seconds`, a locked-out client waits this long. */
const defaultLockoutRetrySeconds = 60;
/** The auth service is down or slow: it is restarted or reconnected within about a second. */
const unavailableRetrySeconds = 1;

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && 'code' in error && typeof error.code === 'number' && 'metadata' in error;
}

function retryAfterFrom(error: ServiceError): number {
  const value = Number(error.metadata?.get('retry-after-seconds')[0]);
  return Number.isInteger(value) && value > 0 ? value : defaultLockoutRetrySeconds;
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
    case GrpcStatus.UNAUTHENTICATED:
      return unauthenticated === 'invalid-credentials'
        ? new ProblemError('invalid-credentials', 'The username or password is wrong.', { cause: error })
        : new ProblemError('unauthenticated', 'The token is invalid, expired or revoked.', { cause: error });
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return new ProblemError('too-many-login-failures', 'Too many failed logins: the account is locked for a while.', {
        cause: error,
        retryAfterSeconds: retryAfterFrom(error),
      });
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new ProblemError('auth-service-unavailable', 'The auth service is unavailable; try again shortly.', {
        cause: error,
        retryAfterSeconds: unavailableRetrySeconds,
      });
    default:
      return new ProblemError('internal-error', 'The request could not be completed.', { cause: error });
  }
}
