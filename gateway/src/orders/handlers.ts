import type { Response } from 'express';
import { principalOf } from '../auth/bearer';
import type { OperationHandlers, OperationRequest } from '../http/operations';
import { ProblemError } from '../http/problem';
import { cancelOrder } from './cancel-order';
import { changeStatus } from './change-status';
import { createOrder } from './create-order';
import type { OrdersDeps } from './deps';
import { getOrder } from './get-order';
import { listOrders } from './list-orders';
import type { OrderType } from './types';

type OrderOperations =
  'listOrders' | 'getOrder' | 'createPurchaseOrder' | 'createSaleOrder' | 'changeOrderStatus' | 'cancelOrder';

/** A query parameter with a default in the contract: the validator has filled it in. */
function defaulted(value: number | undefined, name: string): number {
  if (value === undefined) {
    throw new ProblemError('internal-error', 'The request could not be completed.', {
      cause: new Error(`the validator left ${name} without its default`),
    });
  }
  return value;
}

function createHandler(deps: OrdersDeps, orderType: OrderType) {
  return async (req: OperationRequest<'createPurchaseOrder' | 'createSaleOrder'>, res: Response) => {
    const order = await createOrder(deps, {
      actor: principalOf(res),
      orderType,
      body: req.body,
      idempotencyKey: req.get('idempotency-key'),
    });
    res.status(201).location(`/orders/${order.id}`).json(order);
  };
}

/** The orders routes: each handler reads the validated request and calls one use case. */
export function orderHandlers(deps: OrdersDeps): Pick<OperationHandlers, OrderOperations> {
  return {
    listOrders: async (req, res) => {
      const { limit, offset, ...filters } = req.query;
      res.json(
        await listOrders(deps, principalOf(res), {
          ...filters,
          limit: defaulted(limit, 'limit'),
          offset: defaulted(offset, 'offset'),
        }),
      );
    },
    getOrder: async (req, res) => {
      res.json(await getOrder(deps, principalOf(res), req.params.orderId));
    },
    createPurchaseOrder: createHandler(deps, 'PURCHASE'),
    createSaleOrder: createHandler(deps, 'SALE'),
    changeOrderStatus: async (req, res) => {
      res.json(await changeStatus(deps, principalOf(res), req.params.orderId, req.body.status));
    },
    cancelOrder: async (req, res) => {
      res.json(await cancelOrder(deps, principalOf(res), req.params.orderId));
    },
  };
}
