import type { RequestHandler } from 'express';
import type { OperationHandlers, OperationId } from './operations';

interface MatchedOperation {
  schema: { operationId?: string };
  pathParams: Record<string, string>;
}

/**
 * Hands a validated request to the handler registered under its operationId. The
 * validator has already matched the request to one operation of openapi.yaml (and
 * answered 404/405 otherwise), so the spec stays the router; a second route table
 * (express-openapi-validator's operationHandlers, an Express router with one
 * path-to-regexp match per route and per path parameter) only repeated that work, at
 * about a tenth of the gateway's CPU per request. Every operation having a handler is
 * checked at start-up (routeHandlers).
 */
export function operationRouter(handlers: OperationHandlers): RequestHandler {
  return (req, res, next) => {
    const matched = (req as { openapi?: MatchedOperation }).openapi;
    const handler = matched && handlers[matched.schema.operationId as OperationId];
    if (!handler) {
      next();
      return;
    }
    // Express resets req.params for every middleware; the validator's coerced path parameters are the ones to use.
    req.params = matched.pathParams;
    // Returned so that Express 5 passes a rejected handler's error on to the error handler.
    return handler(req, res, next) as unknown as void;
  };
}
