/**
 * What can go wrong in a way the caller should hear about. The gRPC layer maps each
 * to a status code; anything else is an internal error and is never described to the caller.
 */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
}

export class AlreadyExistsError extends Error {
  override readonly name = 'AlreadyExistsError';
}

/** Wrong credentials or a token that is invalid, expired, revoked or reused. */
export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError';

  constructor(
    message: string,
    /** The session this call ended (a reused refresh token's): callers forget what they cached of it. */
    readonly endedSessionId?: string,
  ) {
    super(message);
  }
}

/** The caller is who they say, but may not do this (an operator's call made with a USER's token). */
export class PermissionDeniedError extends Error {
  override readonly name = 'PermissionDeniedError';
}

/** No such thing for this caller (another account's session is not found either). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/**
 * Why a call that would hash a password was turned away before any hashing: the gateway
 * maps each to a problem type of its own, and the operators' metrics count them by it.
 * - `client-throttled`: the client is over its share (work in flight or hashes per minute);
 * - `too-many-login-failures`: this client failed too often on this account;
 * - `account-slowed`: the account is past its hourly failure ceiling and its next slot is too far;
 * - `auth-busy`: the queue ahead would not finish within the call's deadline.
 */
export type RefusalReason = 'client-throttled' | 'too-many-login-failures' | 'account-slowed' | 'auth-busy';

const refusalMessages: Record<RefusalReason, string> = {
  'client-throttled': 'too many password requests from this client',
  'too-many-login-failures': 'too many failed logins from this client for this account',
  'account-slowed': 'logins to this account are being slowed',
  'auth-busy': 'too many password requests in progress',
};

/** A call refused for abuse or overload, before any hashing; the caller may retry after the delay. */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
  readonly retryAfterSeconds: number;

  constructor(
    readonly reason: RefusalReason,
    retryAfterMs: number,
  ) {
    const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super(`${refusalMessages[reason]}: retry after ${retryAfterSeconds} seconds`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The service cannot do the work now (overloaded or its database is gone); retrying later may work. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
}
