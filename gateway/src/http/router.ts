import express, { type IRoute, type RequestHandler, type Router } from 'express';
import type { TokenValidator } from '../auth/token-validator';
import { bearerCheck } from '../auth/bearer';
import { contractOperations, type ContractOperation, type Contract } from './contract';
import { jsonBody } from './json-body';
import { routeTemplate } from './observability';
import { ContractSchemas } from './operation-schemas';
import type { OperationHandlers, OperationId } from './operations';
import { ProblemError } from './problem';
import { readingRules } from './request-reading';
import { operationValidator } from './validator';

/** Express's spelling of a path template: `/orders/{orderId}` → `/orders/:orderId`. */
function expressPath(template: string): string {
  return template.replace(/\{([^}]+)\}/g, ':$1');
}

function isOperationId(handlers: OperationHandlers, id: string): id is OperationId {
  return Object.hasOwn(handlers, id);
}

/** Mounts one operation's handler, typed by the contract's description of that operation. */
function mountHandler<Id extends OperationId>(
  route: IRoute,
  operation: ContractOperation,
  id: Id,
  handlers: OperationHandlers,
): void {
  const handler = handlers[id];
  route[operation.method](handler);
}

/**
 * The route table, built from openapi.yaml: one Express route per path template, and per
 * operation its pipeline in the order the contract promises — the bearer check (401),
 * the JSON body (413/415/400), the operation's validator (400), then its handler. Express's
 * router is the one matcher: each part runs only on the route it belongs to. Another
 * method on a known path is 405 with `Allow`; anything else falls through (404).
 * Start-up fails unless every operation of the contract has a handler and every handler
 * an operation.
 */
export function contractRouter(
  contract: Contract,
  handlers: OperationHandlers,
  deps: { tokens: TokenValidator; validateResponses: boolean },
): Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  const operations = contractOperations(contract.document);
  const schemas = new ContractSchemas(contract.document);
  const rules = readingRules(contract.document);
  const unknown = Object.keys(handlers).filter((id) => !operations.some((operation) => operation.operationId === id));
  if (unknown.length > 0) throw new Error(`handlers for operations not in openapi.yaml: ${unknown.join(', ')}`);
  const routes = new Map<string, { route: IRoute; methods: string[] }>();
  operations.forEach((operation, index) => {
    const id = operation.operationId;
    if (!isOperationId(handlers, id)) throw new Error(`operation ${id} has no handler`);
    let entry = routes.get(operation.template);
    if (entry === undefined) {
      entry = { route: router.route(expressPath(operation.template)), methods: [] };
      routes.set(operation.template, entry);
    }
    entry.methods.push(operation.method.toUpperCase());
    const pipeline: RequestHandler[] = [
      routeTemplate(operation.template),
      ...(operation.security ? [bearerCheck(deps.tokens, operation.security)] : []),
      ...(operation.hasBody ? [jsonBody(rules)] : []),
      // The document's shared parts are checked against the OpenAPI schema once, with the first operation.
      operationValidator(operation, {
        validateResponses: deps.validateResponses,
        validateSpec: index === 0,
        schemas,
        rules,
      }),
    ];
    entry.route[operation.method](...pipeline);
    mountHandler(entry.route, operation, id, handlers);
  });
  for (const [template, { route, methods }] of routes) {
    const headers = { Allow: methods.join(', ') };
    const refuse: RequestHandler[] = [
      routeTemplate(template),
      (_req, _res, next) =>
        next(new ProblemError('method-not-allowed', 'This resource does not support this method.', { headers })),
    ];
    // HEAD is a method of its own here, not a GET without a body: the contract has no HEAD operation.
    route.head(...refuse);
    route.all(...refuse);
  }
  return router;
}
