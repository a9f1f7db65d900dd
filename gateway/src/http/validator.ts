import type { RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Contract } from './contract';
import { operationRouter } from './operation-router';
import type { OperationHandlers } from './operations';
import { cacheRoutePatterns } from './route-pattern-cache';
import { ProblemError } from './problem';

/**
 * `decimal-2`: a finite JSON number with at most two decimal places, written without an
 * exponent. `multipleOf: 0.01` cannot say this (floating point rejects 2.34).
 */
export function isDecimal2(value: unknown): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  return /^-?\d+(\.\d{1,2})?$/.test(String(value));
}

/**
 * express-openapi-validator driven by openapi.yaml: requests are validated (all errors,
 * full format checks, unknown query parameters and body fields rejected, only path and
 * query parameters coerced), responses too when `validateResponses` is on (tests), and
 * each operation is handed to the handler registered under its operationId.
 */
export function contractValidator(
  contract: Contract,
  handlers: OperationHandlers,
  options: { validateResponses: boolean },
): RequestHandler[] {
  cacheRoutePatterns();
  return [
    rejectBracketQueryKeys,
    ...(OpenApiValidator.middleware({
      apiSpec: contract.document as never,
      validateApiSpec: true,
      validateRequests: { allErrors: true, allowUnknownQueryParameters: false },
      validateResponses: options.validateResponses ? { allErrors: true } : false,
      validateSecurity: false,
      validateFormats: true,
      ajvFormats: { mode: 'full' },
      formats: { 'decimal-2': { type: 'number', validate: isDecimal2 } },
      fileUploader: false,
      operationHandlers: false,
    }) as unknown as RequestHandler[]),
    operationRouter(handlers),
  ];
}

/**
 * express-openapi-validator passes over some query keys written with brackets (`[=1`,
 * `a%3Db%5B=1`) when it looks for unknown parameters, so they were silently ignored.
 * The contract has no bracket-style parameters: any such key is an unknown one.
 */
const rejectBracketQueryKeys: RequestHandler = (req, _res, next) => {
  const key = Object.keys(req.query ?? {}).find((name) => /[[\]]/.test(name));
  if (key === undefined) {
    next();
    return;
  }
  next(
    new ProblemError('invalid-request', 'The request does not match the contract.', {
      errors: [{ path: `/query/${key}`, message: 'is not a parameter of this operation' }],
    }),
  );
};
