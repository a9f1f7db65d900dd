import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ProblemError } from '../http/problem';
import { operationOf } from '../http/observability';
import type { TokenValidator } from './token-validator';
import { requestIdOf } from '../http/request-id';

/** RFC 6750 `b64token`, after exactly one space; any other form of the header is no token at all. */
const bearerPattern = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;

function bearerToken(header: string | undefined): string {
  const match = header === undefined ? null : bearerPattern.exec(header);
  if (!match) throw new ProblemError('unauthenticated', 'This route needs an `Authorization: Bearer <token>` header.');
  return match[1];
}

/** The token the bearer check accepted, for handlers that pass it on (refresh, logout). */
export function bearerTokenOf(res: Response): string {
  const token = res.locals.bearerToken as string | undefined;
  if (token === undefined) throw new ProblemError('unauthenticated', 'This route needs a bearer token.');
  return token;
}

/**
 * The bearer check, before any request validation so that 401 comes before 400. The
 * operations that need a token, and which kind, are read from openapi.yaml. Access
 * tokens are validated (res.locals.principal); refresh tokens are only handed to the
 * refresh handler, which the auth service judges.
 */
export function bearerAuthentication(tokens: TokenValidator): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const operation = operationOf(res.locals);
    if (operation?.security == null) return next();
    const token = bearerToken(req.headers.authorization);
    res.locals.bearerToken = token;
    if (operation.security === 'refreshToken') return next();
    const principal = tokens.validate(token, requestIdOf(req));
    if (!(principal instanceof Promise)) {
      res.locals.principal = principal;
      return next();
    }
    return principal.then((validated) => {
      res.locals.principal = validated;
      next();
    });
  };
}
