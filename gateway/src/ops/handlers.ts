import type { SqlDatabase } from '../../../common/src/sql/database';
import type { AuthClient } from '../auth/auth-client';
import type { Contract } from '../http/contract';
import type { OperationHandlers } from '../http/operations';
import { callerOf } from '../auth/caller';
import { ProblemError } from '../http/problem';
import type { SwaggerUi } from './docs';
import type { GatewayMetrics } from './metrics';
import { checkReadiness } from './readiness';

/** A pod that is not ready is asked again by its probe within seconds. */
const notReadyRetrySeconds = 5;

type OpsOperations = 'getHealth' | 'getReadiness' | 'getMetrics' | 'getOpenApiJson' | 'getOpenApiYaml' | 'getDocs';

/** A route the operator turned off on this port. */
const notServedHere = () => {
  throw new ProblemError('not-found', 'No such resource.');
};

/**
 * The operational routes: liveness, readiness, metrics and the contract itself. Metrics
 * moved to a port of their own, or docs turned off, answer 404 like any unknown path.
 */
export function opsHandlers(deps: {
  db: SqlDatabase;
  auth: AuthClient;
  metrics: GatewayMetrics;
  contract: Contract;
  docs?: SwaggerUi;
  metricsOnOwnPort: boolean;
}): Pick<OperationHandlers, OpsOperations> {
  const { docs } = deps;
  const contractJson = JSON.stringify(deps.contract.document);
  return {
    getHealth: (_req, res) => {
      res.json({ status: 'ok' });
    },
    getReadiness: async (req, res) => {
      const readiness = await checkReadiness(deps.db, deps.auth, callerOf(req));
      if (readiness.status !== 'ready') res.status(503).setHeader('Retry-After', String(notReadyRetrySeconds));
      res.setHeader('Cache-Control', 'no-store');
      res.json(readiness);
    },
    getMetrics: deps.metricsOnOwnPort
      ? notServedHere
      : async (_req, res) => {
          const text = await deps.metrics.registry.metrics();
          res.type(deps.metrics.registry.contentType).send(text);
        },
    getOpenApiJson: (_req, res) => {
      res.type('json').send(contractJson);
    },
    getOpenApiYaml: (_req, res) => {
      res.type('application/yaml').send(deps.contract.yaml);
    },
    getDocs: docs ? (_req, res) => docs.page(res) : notServedHere,
  };
}
