import type { Knex } from 'knex';
import type { AuthClient } from './auth/auth-client';
import { authHandlers } from './auth/handlers';
import type { TokenValidator } from './auth/token-validator';
import type { SwaggerUi } from './health/docs';
import { operationsHandlers } from './health/handlers';
import type { GatewayMetrics } from './health/metrics';
import type { Contract } from './http/contract';
import type { OperationIndex } from './http/operation-index';
import type { OperationHandlers, OperationId } from './http/operations';
import { orderHandlers } from './orders/handlers';
import { productHandlers } from './products/handlers';

export interface RouteDeps {
  db: Knex;
  businessTimeZone: string;
  auth: AuthClient;
  tokens: TokenValidator;
  metrics: GatewayMetrics;
  contract: Contract;
  /** Swagger UI; undefined when `/docs` is turned off. */
  docs?: SwaggerUi;
  /** `/metrics` is served on a port of its own, not on the API port. */
  metricsOnOwnPort: boolean;
}

/**
 * The route table: openapi.yaml names each operation, and each feature contributes the
 * handlers of its operations, keyed by operationId. Start-up fails unless every
 * operation of the contract has exactly one handler.
 */
export function routeHandlers(deps: RouteDeps, operations: OperationIndex): OperationHandlers {
  const contributions: OperationHandlers[] = [
    authHandlers({ auth: deps.auth, tokens: deps.tokens }),
    orderHandlers({ db: deps.db, businessTimeZone: deps.businessTimeZone }),
    productHandlers({ db: deps.db }),
    operationsHandlers(deps),
  ];
  const handlers: OperationHandlers = {};
  for (const contribution of contributions) {
    for (const operationId of Object.keys(contribution) as OperationId[]) {
      if (handlers[operationId]) throw new Error(`two handlers for operation ${operationId}`);
      handlers[operationId] = contribution[operationId];
    }
  }
  const contractIds = new Set(operations.all().map((operation) => operation.operationId));
  const missing = [...contractIds].filter((id) => !handlers[id]);
  const unknown = (Object.keys(handlers) as OperationId[]).filter((id) => !contractIds.has(id));
  if (missing.length > 0) throw new Error(`operations without a handler: ${missing.join(', ')}`);
  if (unknown.length > 0) throw new Error(`handlers for operations not in openapi.yaml: ${unknown.join(', ')}`);
  return handlers;
}
