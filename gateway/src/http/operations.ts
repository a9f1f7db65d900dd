import type { RequestHandler } from 'express';
import type { operations } from '../../../generated/openapi';

/** The operationIds of openapi.yaml: the spec is the router. */
export type OperationId = keyof operations;

/** Handlers a feature contributes, keyed by the operationId they implement. */
export type OperationHandlers = Partial<Record<OperationId, RequestHandler>>;
