import type { SqlDatabase } from '../../common/src/sql/database';
import type { AuthClient } from './auth/auth-client';
import { authHandlers } from './auth/handlers';
import type { TokenValidator } from './auth/token-validator';
import type { Contract } from './http/contract';
import type { OperationHandlers } from './http/operations';
import type { SwaggerUi } from './ops/docs';
import { opsHandlers } from './ops/handlers';
import type { GatewayMetrics } from './ops/metrics';
import { BusinessCalendar } from './orders/business-calendar';
import { orderHandlers } from './orders/handlers';
import { IdempotencyKeyRepository } from './orders/idempotency-keys';
import { randomOrderNumber } from './orders/order-number';
import { OrderRepository } from './orders/order-repository';
import { productHandlers } from './products/handlers';
import { ProductRepository } from './products/product-repository';

export interface RouteDeps {
  db: SqlDatabase;
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
 * The handler of every operation of openapi.yaml, keyed by operationId, each feature
 * contributing its own: the type requires one handler per operation of the contract.
 */
export function routeHandlers(deps: RouteDeps): OperationHandlers {
  const products = new ProductRepository(deps.db);
  return {
    ...authHandlers({ auth: deps.auth, tokens: deps.tokens }),
    ...orderHandlers({
      orders: new OrderRepository(deps.db),
      keys: new IdempotencyKeyRepository(deps.db),
      products,
      calendar: new BusinessCalendar(deps.businessTimeZone),
      orderNumbers: randomOrderNumber,
    }),
    ...productHandlers(products),
    ...opsHandlers(deps),
  };
}
