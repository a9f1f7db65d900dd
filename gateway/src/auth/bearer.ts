import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ProblemError } from '../http/problem';
import { operationOf } from '../http/observability';
import type { TokenValidator } from './token-validator';
import { callerOf } from './caller';

/** RFC 6750 `b64token`, after exactly one space; any other form of the header is no token at all. */
const bearerPattern = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;

/** The bearer token of the request's one `Authorization` header; undefined for none, two, or any other form. */
function bearerToken(req: Request): string | undefined {
  const headers = req.headersDistinct.authorization ?? [];
  return headers.length === 1 ? bearerPattern.exec(headers[0])?.[1] : undefined;
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
 * tokens are validated (res.locals.principal). A refresh token is only handed to the
 * refresh handler, which the auth service judges: that route also takes it in its body,
 * so a missing header is the handler's to answer.
 */
export function bearerAuthentication(tokens: TokenValidator): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const operation = operationOf(res.locals);
    if (operation?.security == null) return next();
    const token = bearerToken(req);
    res.locals.bearerToken = token;
    if (operation.security === 'refreshToken') return next();
    if (token === undefined)
      throw new ProblemError('unauthenticated', 'This route needs an `Authorization: Bearer <token>` header.');
    const principal = tokens.validate(token, () => callerOf(req));
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
