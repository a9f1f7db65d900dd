import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { isDatabaseUnavailable, isTransactionConflict } from '../../../common/src/database-errors';
import { callMetadata } from '../../../common/src/proto';
import {
  AlreadyExistsError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  RefusedError,
  UnauthenticatedError,
  UnavailableError,
} from '../errors';

/** A change that still collided with others after its retries: the caller may try again at once. */
const conflictRetrySeconds = 1;

export type ErrorStatus = Pick<StatusObject, 'code' | 'details'> & { metadata?: Metadata };

/**
 * The status a caller sees for an error. Domain errors carry their own message;
 * anything unexpected becomes a generic INTERNAL (`expected: false`) and is never described.
 */
export function errorStatus(error: unknown): ErrorStatus & { expected: boolean; databaseDown?: boolean } {
  if (error instanceof InvalidArgumentError)
    return { code: status.INVALID_ARGUMENT, details: error.message, expected: true };
  if (error instanceof AlreadyExistsError)
    return { code: status.ALREADY_EXISTS, details: error.message, expected: true };
  if (error instanceof UnauthenticatedError) {
    if (error.endedSessionId === undefined)
      return { code: status.UNAUTHENTICATED, details: error.message, expected: true };
    const metadata = new Metadata();
    metadata.set(callMetadata.endedSessionId, error.endedSessionId);
    return { code: status.UNAUTHENTICATED, details: error.message, metadata, expected: true };
  }
  if (error instanceof PermissionDeniedError)
    return { code: status.PERMISSION_DENIED, details: error.message, expected: true };
  if (error instanceof NotFoundError) return { code: status.NOT_FOUND, details: error.message, expected: true };
  if (error instanceof RefusedError) {
    const metadata = new Metadata();
    metadata.set(callMetadata.retryAfterSeconds, String(error.retryAfterSeconds));
    metadata.set(callMetadata.refusalReason, error.reason);
    return { code: status.RESOURCE_EXHAUSTED, details: error.message, metadata, expected: true };
  }
  if (error instanceof UnavailableError) return { code: status.UNAVAILABLE, details: error.message, expected: true };
  if (isTransactionConflict(error)) {
    // Not an outage: the database answers, this change lost to concurrent ones every time it ran.
    const metadata = new Metadata();
    metadata.set(callMetadata.retryAfterSeconds, String(conflictRetrySeconds));
    return {
      code: status.UNAVAILABLE,
      details: 'the change collided with concurrent ones; retry',
      metadata,
      expected: true,
    };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      code: status.UNAVAILABLE,
      details: 'the auth database is unavailable',
      expected: true,
      databaseDown: true,
    };
  }
  return { code: status.INTERNAL, details: 'internal error', expected: false };
}
