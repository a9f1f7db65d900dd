import type { Knex } from 'knex';
import { principalOf } from '../auth/principal';
import type { OperationHandlers } from '../http/operations';
import { BusinessCalendar } from './business-calendar';
import { cancelOrder } from './cancel-order';
import { changeStatus } from './change-status';
import { createOrder } from './create-order';
import type { OrdersDeps } from './deps';
import { getOrder } from './get-order';
import { listOrders, type ListQuery } from './list-orders';
import { randomOrderNumber } from './order-number';
import type { CreateOrderBody, Order, OrderStatus, OrderType } from './types';
import type { Request, RequestHandler, Response } from 'express';

function sendCreated(res: Response, order: Order): void {
  res.status(201).location(`/orders/${order.id}`).json(order);
}

function createHandler(deps: OrdersDeps, orderType: OrderType): RequestHandler {
  return async (req: Request, res: Response) => {
    const order = await createOrder(deps, {
      actor: principalOf(res),
      orderType,
      body: req.body as CreateOrderBody,
      idempotencyKey: req.get('idempotency-key'),
    });
    sendCreated(res, order);
  };
}

/** The orders routes: each handler reads the validated request and calls one use-case. */
export function orderHandlers(deps: { db: Knex; businessTimeZone: string }): OperationHandlers {
  const orders: OrdersDeps = {
    db: deps.db,
    calendar: new BusinessCalendar(deps.businessTimeZone),
    orderNumbers: randomOrderNumber,
  };
  return {
    listOrders: async (req, res) => {
      res.json(await listOrders(orders, principalOf(res), req.query as unknown as ListQuery));
    },
    getOrder: async (req, res) => {
      res.json(await getOrder(orders, principalOf(res), req.params.orderId as string));
    },
    createPurchaseOrder: createHandler(orders, 'PURCHASE'),
    createSaleOrder: createHandler(orders, 'SALE'),
    changeOrderStatus: async (req, res) => {
      const { status } = req.body as { status: OrderStatus };
      res.json(await changeStatus(orders, principalOf(res), req.params.orderId as string, status));
    },
    cancelOrder: async (req, res) => {
      res.json(await cancelOrder(orders, principalOf(res), req.params.orderId as string));
    },
  };
}
