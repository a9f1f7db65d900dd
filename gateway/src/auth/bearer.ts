import type { Request, RequestHandler, Response } from 'express';
import type { SecurityScheme } from '../http/contract';
import { ProblemError } from '../http/problem';
import type { Principal } from './principal';
import type { TokenValidator } from './token-validator';
import { callerOf } from './caller';

/** RFC 6750 `b64token`, after exactly one space; any other form of the header is no token at all. */
const bearerPattern = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;

/** The bearer token of the request's one `Authorization` header; undefined for none, two, or any other form. */
function bearerToken(req: Request): string | undefined {
  const headers = req.headersDistinct.authorization ?? [];
  return headers.length === 1 ? bearerPattern.exec(headers[0])?.[1] : undefined;
}

/** What the bearer check found, for the handlers of operations that need a token. */
export interface Caller {
  /** Undefined only on the refresh route, which also takes its token in the body. */
  token?: string;
  /** Set for access tokens (validated); a refresh token is judged by the auth service itself. */
  principal?: Principal;
}

const callers = new WeakMap<Response, Caller>();

/** The token the bearer check accepted, for handlers that pass it on (refresh, logout). */
export function bearerTokenOf(res: Response): string {
  const token = callers.get(res)?.token;
  if (token === undefined) throw new ProblemError('unauthenticated', 'This route needs a bearer token.');
  return token;
}

/** The principal the bearer check validated for this request. */
export function principalOf(res: Response): Principal {
  const principal = callers.get(res)?.principal;
  if (!principal) throw new ProblemError('unauthenticated', 'This route needs a bearer token.');
  return principal;
}

/**
 * The bearer check of an operation that needs `scheme`, mounted on its route before any
 * request validation so that 401 comes before 400. Access tokens are validated. A refresh
 * token is only handed to the refresh handler, which the auth service judges: that route
 * also takes it in its body, so a missing header is the handler's to answer.
 */
export function bearerCheck(tokens: TokenValidator, scheme: SecurityScheme): RequestHandler {
  return (req, res, next) => {
    const token = bearerToken(req);
    if (scheme === 'refreshToken') {
      callers.set(res, { token });
      return next();
    }
    if (token === undefined) {
      throw new ProblemError('unauthenticated', 'This route needs an `Authorization: Bearer <token>` header.');
    }
    const principal = tokens.validate(token, () => callerOf(req));
    if (!(principal instanceof Promise)) {
      callers.set(res, { token, principal });
      return next();
    }
    return principal.then((validated) => {
      callers.set(res, { token, principal: validated });
      next();
    });
  };
}
