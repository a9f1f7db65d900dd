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
}

/** The account is locked after too many failed logins. */
export class LockedOutError extends Error {
  override readonly name = 'LockedOutError';

  constructor(readonly retryAfterSeconds: number) {
    super(`too many failed logins: account locked, retry after ${retryAfterSeconds} seconds`);
  }
}

/** The service cannot do the work now (overloaded or its database is gone); retrying later may work. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
}
