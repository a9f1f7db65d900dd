import express from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { TokenValidator } from './auth/token-validator';
import type { TrustProxy } from './config';
import type { Contract } from './http/contract';
import { corsPolicy } from './http/cors';
import { problemDetailsHandler } from './http/error-handler';
import { observeRequests } from './http/observability';
import type { OperationHandlers } from './http/operations';
import { ProblemError } from './http/problem';
import { contractRouter } from './http/router';
import { docsPath, type SwaggerUi } from './ops/docs';
import type { GatewayMetrics } from './ops/metrics';

export interface AppDeps {
  contract: Contract;
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
 * The request pipeline: request id and logging, CORS (preflights end here), security
 * headers, then the contract's routes (each: 401 bearer check, 413/415/400 reading the
 * body and query by the contract's reading rules and validation, the handler), 404 for
 * any other path; every failure ends in the one problem-details handler.
 */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.set('case sensitive routing', true);
  app.set('etag', false);
  app.disable('x-powered-by');
  // req.ip: the client the auth-service admits and counts logins by.
  app.set('trust proxy', deps.trustProxy);

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
  app.use(contractRouter(deps.contract, deps.handlers, deps));
  app.use((_req, _res, next) => next(new ProblemError('not-found', 'No such resource.')));
  app.use(problemDetailsHandler(deps.logger));
  return app;
}
