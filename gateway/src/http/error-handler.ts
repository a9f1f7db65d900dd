import type { ErrorRequestHandler, Request } from 'express';
import type { Logger } from 'pino';
import { isDatabaseUnavailable, isTransactionConflict } from '../../../common/src/database-errors';
import { ProblemError } from './problem';
import { requestIdOf } from './request-id';

/** A database outage is usually over (failover, restart, pool recovered) within seconds. */
const databaseRetrySeconds = 5;
/** A conflict passes as soon as the concurrent work has committed. */
const conflictRetrySeconds = 1;

/** express-openapi-validator's HttpError, recognised by shape (its classes are not all exported). */
export interface ValidatorError {
  status: number;
  path?: string;
  message: string;
  headers?: Record<string, string>;
  errors?: Array<{ path: string; message: string; errorCode?: string }>;
}

/** body-parser's errors carry a `type` such as `entity.too.large`. */
interface BodyParserError {
  type: string;
  status: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return error instanceof Error && typeof Reflect.get(error, 'type') === 'string' && 'status' in error;
}

export function isValidatorError(error: unknown): error is ValidatorError {
  return (
    error instanceof Error &&
    typeof Reflect.get(error, 'status') === 'number' &&
    Array.isArray(Reflect.get(error, 'errors'))
  );
}

function fromValidator(error: ValidatorError): ProblemError {
  switch (error.status) {
    case 400:
      // validationErrorsInWords words the field errors of the validator's own chain.
      return new ProblemError('invalid-request', 'The request does not match the contract.');
    case 404:
      return new ProblemError('not-found', 'No such resource.');
    case 405:
      return new ProblemError('method-not-allowed', 'This resource does not support this method.', {
        headers: error.headers?.Allow ? { Allow: error.headers.Allow } : undefined,
      });
    case 413:
      return new ProblemError('payload-too-large', 'The body is larger than 16 KiB.');
    case 415:
      return new ProblemError('unsupported-media-type', 'The body must be `application/json` in UTF-8.');
    default:
      // 500: a response broke the contract (checked in tests); anything else is a bug too.
      return new ProblemError('internal-error', 'The request could not be completed.', { cause: error });
  }
}

function fromBodyParser(error: BodyParserError): ProblemError {
  switch (error.type) {
    case 'entity.too.large':
      return new ProblemError('payload-too-large', 'The body is larger than 16 KiB.');
    case 'charset.unsupported':
      return new ProblemError('unsupported-media-type', 'The body must be `application/json` in UTF-8.');
    case 'encoding.unsupported':
      // RFC 9110 §15.5.16: a 415 for a content coding names the codings that are read.
      return new ProblemError('unsupported-media-type', 'The body must not be compressed (no Content-Encoding).', {
        headers: { 'Accept-Encoding': 'identity' },
      });
    case 'entity.parse.failed':
      return new ProblemError('invalid-request', 'The body is not valid JSON.', {
        errors: [{ path: '/body', message: 'must be valid JSON' }],
      });
    default:
      return error.status >= 400 && error.status < 500
        ? new ProblemError('invalid-request', 'The body could not be read.')
        : new ProblemError('internal-error', 'The request could not be completed.', { cause: error });
  }
}

/** Every failure, whatever raised it, as the ProblemError a client may see. */
export function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  // The router decodes path parameters; a broken percent-encoding is the client's.
  if (error instanceof URIError) {
    return new ProblemError('invalid-request', 'The request does not match the contract.', {
      errors: [{ path: '/path', message: 'must be valid percent-encoded UTF-8' }],
    });
  }
  if (isBodyParserError(error)) return fromBodyParser(error);
  if (isValidatorError(error)) return fromValidator(error);
  if (isTransactionConflict(error)) {
    return new ProblemError('database-unavailable', 'Concurrent changes kept this one from being stored; try again.', {
      cause: error,
      retryAfterSeconds: conflictRetrySeconds,
    });
  }
  if (isDatabaseUnavailable(error)) {
    return new ProblemError('database-unavailable', 'The database is unavailable; try again shortly.', {
      cause: error,
      retryAfterSeconds: databaseRetrySeconds,
    });
  }
  return new ProblemError('internal-error', 'The request could not be completed.', { cause: error });
}

function pathOf(req: Request): string {
  const url = req.originalUrl;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * The gateway's one error handler: RFC 9457 problem details, never a stack trace, SQL,
 * file path or internal name. Server-side failures are logged with the request id.
 */
export function problemDetailsHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const problem = toProblem(error);
    if (problem.status === 500) {
      logger.error(
        { err: problem.options.cause ?? problem, requestId: requestIdOf(req) },
        'request failed unexpectedly',
      );
    } else if (problem.status > 500) {
      // An outage, not a bug: what failed is enough, without a stack per request.
      const cause = problem.options.cause instanceof Error ? problem.options.cause.message : undefined;
      logger.warn({ requestId: requestIdOf(req), problem: problem.code, cause }, problem.detail);
    }
    if (problem.options.retryAfterSeconds !== undefined)
      res.setHeader('Retry-After', String(problem.options.retryAfterSeconds));
    if (problem.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    for (const [name, value] of Object.entries(problem.options.headers ?? {})) res.setHeader(name, value);
    res.status(problem.status).type('application/problem+json');
    res.json(problem.body(pathOf(req)));
  };
}
