import type { Request, Response } from 'express';
import type { operations } from '../../../generated/openapi';

/** The operationIds of openapi.yaml: the contract is the route table. */
export type OperationId = keyof operations;

type Operation<Id extends OperationId> = operations[Id];

type JsonOf<RequestBody> = RequestBody extends { content: { 'application/json': infer Body } } ? Body : never;

/**
 * The JSON body the contract gives an operation: `undefined` for operations without one,
 * and besides the body for those whose body is optional.
 */
export type BodyOf<Id extends OperationId> = undefined extends Operation<Id>['requestBody']
  ? JsonOf<NonNullable<Operation<Id>['requestBody']>> | undefined
  : JsonOf<Operation<Id>['requestBody']>;

/** The path parameters the contract gives an operation. */
export type ParamsOf<Id extends OperationId> = Operation<Id>['parameters'] extends { path: infer Params }
  ? Params
  : Record<string, never>;

/** The query parameters the contract gives an operation, coerced to their schema types by the validator. */
export type QueryOf<Id extends OperationId> = NonNullable<Operation<Id>['parameters']['query']>;

/**
 * A request the validator has checked against the operation's part of openapi.yaml, typed
 * by the same part (generated/openapi.ts): body, path parameters and query as the
 * contract describes them, as fastify's type providers type a route from its schema.
 */
export type OperationRequest<Id extends OperationId> = Request<ParamsOf<Id>, unknown, BodyOf<Id>, QueryOf<Id>>;

export type OperationHandler<Id extends OperationId> = (
  req: OperationRequest<Id>,
  res: Response,
) => void | Promise<void>;

/** One handler per operation of the contract; a feature contributes those of its operations. */
export type OperationHandlers = { [Id in OperationId]: OperationHandler<Id> };
