import type { RequestHandler, Response } from 'express';
import type { SchemaNode } from './operation-schemas';
import { ProblemError, type ProblemFieldError } from './problem';
import type { ReadingRules } from './request-reading';

const readingErrors = new WeakMap<Response, ProblemFieldError[]>();

/** What reading the query string found wrong, kept for the validator's report. */
export function queryReadingErrorsOf(res: Response): ProblemFieldError[] {
  return readingErrors.get(res) ?? [];
}

/**
 * Reads the query string as openapi.yaml's `x-request-reading` says, before the
 * validator coerces it: a parameter given twice is refused (the validator would see an
 * array, or on some routes silently one of the values), and an integer parameter must be
 * plain digits (the validator's coercion lets `1e1`, `0x10`, ` 5` and `Infinity` through,
 * and `limit=Infinity` once listed every order past the page cap). What it finds is
 * reported together with the validator's findings (`validationErrorsInWords`), so that
 * one answer names every broken part of the request; `refuseUnreadableQuery` refuses
 * the request when the validator found nothing else.
 */
export function queryReading(query: Map<string, SchemaNode> | undefined, rules: ReadingRules): RequestHandler {
  return (req, res, next) => {
    const errors: ProblemFieldError[] = [];
    for (const [name, value] of Object.entries(req.query ?? {})) {
      const path = `/query/${name}`;
      if (Array.isArray(value)) errors.push({ path, message: 'must be given at most once' });
      else if (
        query?.get(name)?.type === 'integer' &&
        !(typeof value === 'string' && rules.integerParameter.test(value))
      )
        errors.push({ path, message: 'must be written in plain decimal digits, such as 10' });
    }
    if (errors.length > 0) readingErrors.set(res, errors);
    next();
  };
}

export const refuseUnreadableQuery: RequestHandler = (_req, res, next) => {
  const errors = queryReadingErrorsOf(res);
  if (errors.length === 0) return next();
  next(new ProblemError('invalid-request', 'The request does not match the contract.', { errors }));
};
