import express from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { bearerAuthentication } from './auth/bearer';
import type { TokenValidator } from './auth/token-validator';
import type { TrustProxy } from './config';
import { docsPath, type SwaggerUi } from './health/docs';
import type { GatewayMetrics } from './health/metrics';
import type { Contract } from './http/contract';
import { corsPolicy } from './http/cors';
import { problemDetailsHandler } from './http/error-handler';
import { jsonBody } from './http/json-body';
import { observeRequests } from './http/observability';
import type { OperationIndex } from './http/operation-index';
import type { OperationHandlers } from './http/operations';
import { readingRules } from './http/request-reading';
import { contractValidator } from './http/validator';

export interface AppDeps {
  contract: Contract;
  operations: OperationIndex;
  handlers: OperationHandlers;
  tokens: TokenValidator;
  metrics: GatewayMetrics;
  /** Swagger UI; undefined when `/docs` is turned off. */
  docs?: SwaggerUi;
  /** Origins whose browser apps may call the API (CORS). */
  corsOrigins: readonly string[];
  logger: Logger;
  /** Check every response against openapi.yaml (tests). */
  validateResponses: boolean;
  /** Which hops may name the client in X-Forwarded-For (TRUST_PROXY). */
  trustProxy: TrustProxy;
}

/**
 * The request pipeline, in the order the contract promises: request id and logging,
 * CORS (preflights end here), security headers, then 401 (bearer check), then
 * 413/415/400 (reading the body and query by the contract's reading rules, then request
 * validation against openapi.yaml), then the operation's handler; every failure ends in
 * the one problem-details handler.
 */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.set('case sensitive routing', true);
  app.set('etag', false);
  app.disable('x-powered-by');
  // req.ip: the client the auth-service admits and counts logins by.
  app.set('trust proxy', deps.trustProxy);

  const rules = readingRules(deps.contract.document);
  app.use(observeRequests(deps));
  if (deps.corsOrigins.length > 0) app.use(corsPolicy(deps.corsOrigins));
  app.use(
    helmet({
      contentSecurityPolicy: {
        // The gateway speaks plain HTTP behind TLS termination; upgrading the docs page's
        // asset requests to https would break it when opened on http://.
        directives: { 'upgrade-insecure-requests': null },
      },
    }),
  );
  if (deps.docs) app.use(docsPath, deps.docs.assets);
  app.use(bearerAuthentication(deps.tokens));
  app.use(jsonBody(rules));
  app.use(contractValidator(deps.contract, deps.handlers, { validateResponses: deps.validateResponses, rules }));
  app.use(problemDetailsHandler(deps.logger));
  return app;
}
