import type { ErrorRequestHandler, RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Contract } from './contract';
import { validationErrorsInWords } from './field-errors';
import { ContractSchemas } from './operation-schemas';
import { operationRouter } from './operation-router';
import type { OperationHandlers } from './operations';
import { queryReading, refuseUnreadableQuery } from './query-reading';
import type { ReadingRules } from './request-reading';
import { cacheRoutePatterns } from './route-pattern-cache';
import { ProblemError } from './problem';

/**
 * express-openapi-validator driven by openapi.yaml: the query string is read by the
 * contract's reading rules first, then requests are validated (all errors, standard
 * formats only, unknown query parameters and body fields rejected, only path and query
 * parameters coerced) and their errors worded, responses too when `validateResponses` is
 * on (tests), and each operation is handed to the handler registered under its
 * operationId.
 */
export function contractValidator(
  contract: Contract,
  handlers: OperationHandlers,
  options: { validateResponses: boolean; rules: ReadingRules },
): Array<RequestHandler | ErrorRequestHandler> {
  cacheRoutePatterns();
  const schemas = new ContractSchemas(contract.document);
  return [
    rejectBracketQueryKeys,
    queryReading(schemas, options.rules),
    ...(OpenApiValidator.middleware({
      apiSpec: contract.document as never,
      validateApiSpec: true,
      validateRequests: { allErrors: true, allowUnknownQueryParameters: false },
      validateResponses: options.validateResponses ? { allErrors: true } : false,
      validateSecurity: false,
      validateFormats: true,
      ajvFormats: { mode: 'full' },
      fileUploader: false,
      operationHandlers: false,
    }) as unknown as RequestHandler[]),
    refuseUnreadableQuery,
    operationRouter(handlers),
    validationErrorsInWords(schemas),
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
