import { toDbTime } from '../../../common/src/db-time';
import type { Principal } from '../auth/principal';
import { uuidv7 } from '../ids/uuid';
import type { ProductPrices } from '../products/product-repository';
import type { OrdersDeps } from './deps';
import { claimKey, releaseAfterFailure, requestFingerprint } from './idempotency';
import type { Claim } from './idempotency-keys';
import { totalPrice, twoPlaces } from './money';
import { presentOrder, type StoredOrder } from './order-records';
import type { CreateOrderBody, Order, OrderType, ProductType } from './types';

export interface CreateOrderRequest {
  actor: Principal;
  orderType: OrderType;
  /** Validated against the contract already. */
  body: CreateOrderBody;
  idempotencyKey?: string;
}

/** The request body by value: text trimmed, quantity as a fixed two-place decimal. */
export interface NormalizedOrder {
  productType: ProductType;
  quantity: string;
  deliveryAddress: string;
  recipientName: string;
  contactNumber: string;
  postalCode: string;
}

/** A new order number is drawn while the unique index says one is taken (astronomically rare). */
const maxOrderNumberAttempts = 5;

export function normalizeOrder(body: CreateOrderBody): NormalizedOrder {
  return {
    productType: body.productType,
    quantity: twoPlaces(body.quantity),
    deliveryAddress: body.deliveryAddress.trim(),
    recipientName: body.recipientName.trim(),
    contactNumber: body.contactNumber.trim(),
    postalCode: body.postalCode.trim(),
  };
}

/**
 * POST /orders/purchase and /orders/sale. Without a key: the product's price is read, then
 * one transaction writes the order and its first history entry. With a key: the key is
 * claimed first (its own short write, so concurrent requests see it in flight; the price
 * read rides along), then the same transaction also marks the key completed; if the
 * create fails the claim is released.
 */
export async function createOrder(deps: OrdersDeps, request: CreateOrderRequest): Promise<Order> {
  const order = normalizeOrder(request.body);
  if (request.idempotencyKey === undefined) {
    const written = await writeOrder(deps, request, order, await deps.products.findPrices(order.productType));
    if (written === undefined) throw new Error('an order without a claim found its new id taken');
    return written;
  }

  const use = {
    userId: request.actor.userId,
    key: request.idempotencyKey,
    orderType: request.orderType,
    fingerprint: requestFingerprint({ ...order }),
  };
  // A settled claim is rare (a request that outlived its lease); the second look answers it.
  for (;;) {
    const outcome = await claimKey(deps.keys, use, new Date(), order.productType);
    if (outcome.kind === 'replay') {
      const stored = await deps.orders.find(outcome.invoiceId);
      if (!stored) throw new Error(`idempotency key names a missing order ${outcome.invoiceId}`);
      return presentOrder(stored);
    }
    try {
      const prices = outcome.prices ?? (await deps.products.findPrices(order.productType));
      const written = await writeOrder(deps, request, order, prices, outcome.claim);
      // Undefined: another holder of the claim stored the order first; the next claim replays it.
      if (written !== undefined) return written;
    } catch (error) {
      await releaseAfterFailure(deps.keys, outcome.claim, error);
      throw error;
    }
  }
}

/**
 * Writes the order at the product's price as of now (`prices`, read just before, so that
 * the transaction is one round trip; the order keeps that price whatever happens to the
 * product later). Undefined when the claim's order id is already stored.
 */
async function writeOrder(
  deps: OrdersDeps,
  request: CreateOrderRequest,
  order: NormalizedOrder,
  prices: ProductPrices | undefined,
  claim?: Claim,
): Promise<Order | undefined> {
  if (!prices) throw new Error(`product ${order.productType} is missing: the orders database is not migrated`);
  const now = new Date();
  const at = toDbTime(now);
  const dateStamp = deps.calendar.dateStamp(now);
  const pricePerGram = request.orderType === 'PURCHASE' ? prices.purchase_price_per_gram : prices.sale_price_per_gram;
  const id = claim?.invoiceId ?? uuidv7();
  const stored: StoredOrder = {
    invoice: {
      id,
      order_number: deps.orderNumbers(request.orderType, dateStamp),
      order_type: request.orderType,
      status: 'PENDING',
      product_type: order.productType,
      quantity: order.quantity,
      price_per_gram: pricePerGram,
      total_price: totalPrice(pricePerGram, order.quantity),
      currency: 'KRW',
      delivery_address: order.deliveryAddress,
      recipient_name: order.recipientName,
      contact_number: order.contactNumber,
      postal_code: order.postalCode,
      user_id: request.actor.userId,
      idempotency_key: claim?.key ?? null,
      created_at: at,
      updated_at: at,
      cancelled_at: null,
    },
    history: [
      {
        id: uuidv7(),
        invoice_id: id,
        from_status: null,
        to_status: 'PENDING',
        changed_by: request.actor.userId,
        changed_at: at,
        created_at: at,
        updated_at: at,
      },
    ],
  };
  for (let attempt = 1; ; attempt++) {
    const outcome = await deps.orders.insert(stored, claim);
    if (outcome.kind === 'inserted') return presentOrder(stored);
    if (outcome.kind === 'id-taken') return undefined;
    if (attempt >= maxOrderNumberAttempts) throw new Error('no free order number after several draws');
    stored.invoice.order_number = deps.orderNumbers(request.orderType, dateStamp);
  }
}
