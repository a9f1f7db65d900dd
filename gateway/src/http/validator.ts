import type { ErrorRequestHandler, RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { ContractOperation } from './contract';
import { validationErrorsInWords } from './field-errors';
import type { ContractSchemas } from './operation-schemas';
import { ProblemError } from './problem';
import { queryReading, refuseUnreadableQuery } from './query-reading';
import type { ReadingRules } from './request-reading';

export interface ValidatorOptions {
  validateResponses: boolean;
  /** Check the operation's part of the document against the OpenAPI schema. */
  validateSpec: boolean;
  schemas: ContractSchemas;
  rules: ReadingRules;
}

/**
 * express-openapi-validator for one operation: the query string is read by the
 * contract's reading rules first, then requests are validated (all errors, standard
 * formats only, unknown query parameters and body fields rejected, only path and query
 * parameters coerced) and their errors worded, responses too when `validateResponses` is
 * on (tests). Each operation gets a validator of its own, mounted on its route: the
 * router has already matched the request, and the validator, which looks a request up
 * among the routes it was given (compiling each route's pattern again on every request),
 * has one to look at.
 */
export function operationValidator(operation: ContractOperation, options: ValidatorOptions): RequestHandler {
  const own = options.schemas.of(operation.method.toUpperCase(), operation.template);
  const inWords = validationErrorsInWords(options.schemas, own);
  // Made on the operation's first request: the validators' set-up (each bundles and
  // preprocesses its part of the document) then happens one at a time instead of all at
  // start-up, where its transient garbage grew the heap for good.
  let validate: RequestHandler | undefined;
  return (req, res, next) => {
    validate ??= chain(
      [
        rejectBracketQueryKeys,
        queryReading(own?.query, options.rules),
        ...validatorMiddleware(operation, options),
        refuseUnreadableQuery,
      ],
      inWords,
    );
    return validate(req, res, next);
  };
}

/** Middlewares run in order as one; the first error goes through `onError`, the end of the chain to `next`. */
function chain(handlers: RequestHandler[], onError: ErrorRequestHandler): RequestHandler {
  return (req, res, next) => {
    const step = (index: number, error?: unknown): unknown => {
      if (error !== undefined && error !== null) return onError(error, req, res, next);
      const handler = handlers[index];
      if (handler === undefined) return next();
      return handler(req, res, (nextError?: unknown) => step(index + 1, nextError));
    };
    return step(0);
  };
}

function validatorMiddleware(operation: ContractOperation, options: ValidatorOptions): RequestHandler[] {
  return OpenApiValidator.middleware({
    apiSpec: operation.document,
    validateApiSpec: options.validateSpec,
    validateRequests: { allErrors: true, allowUnknownQueryParameters: false },
    validateResponses: options.validateResponses ? { allErrors: true } : false,
    validateSecurity: false,
    validateFormats: true,
    ajvFormats: { mode: 'full' },
    fileUploader: false,
    operationHandlers: false,
  });
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
