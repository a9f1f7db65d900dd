import { uuidv7 } from '../../../common/src/uuid';
import { toDbTime } from '../../../common/src/db-time';
import type { Principal } from '../auth/principal';
import { findPrices, findPricesStatement, pricesRead, type ProductPrices } from '../products/repository';
import type { OrdersDeps } from './deps';
import { claimKey, completeClaimStatement, releaseAfterFailure, requestFingerprint, type Claim } from './idempotency';
import { totalPrice, twoPlaces } from './money';
import { presentOrder } from './presenter';
import { findOrder, insertOrder, type HistoryRow, type InvoiceRow } from './repository';
import { isPrimaryKeyViolation } from './sql-errors';
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

/** Another holder of the same claim (see claimLeaseMs) stored the order first. */
class ClaimSettled extends Error {}

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
    return writeOrder(deps, request, order, await findPrices(deps.db, order.productType));
  }

  const use = {
    userId: request.actor.userId,
    key: request.idempotencyKey,
    orderType: request.orderType,
    fingerprint: requestFingerprint({ ...order }),
  };
  // A settled claim is rare (a request that outlived its lease); the second look answers it.
  for (;;) {
    const outcome = await claimKey(deps.db, use, new Date(), [findPricesStatement(order.productType)]);
    if (outcome.kind === 'replay') {
      const stored = await findOrder(deps.db, outcome.invoiceId);
      if (!stored) throw new Error(`idempotency key names a missing order ${outcome.invoiceId}`);
      return presentOrder(stored.invoice, stored.history);
    }
    try {
      const prices = outcome.alongside
        ? pricesRead(outcome.alongside[0])
        : await findPrices(deps.db, order.productType);
      return await writeOrder(deps, request, order, prices, outcome.claim);
    } catch (error) {
      if (error instanceof ClaimSettled) continue;
      await releaseAfterFailure(deps.db, outcome.claim, error);
      throw error;
    }
  }
}

/**
 * Writes the order at the product's price as of now (`prices`, read just before, so that
 * the transaction is one round trip; the order keeps that price whatever happens to the
 * product later).
 */
async function writeOrder(
  deps: OrdersDeps,
  request: CreateOrderRequest,
  order: NormalizedOrder,
  prices: ProductPrices | undefined,
  claim?: Claim,
): Promise<Order> {
  if (!prices) throw new Error(`product ${order.productType} is missing: the orders database is not migrated`);
  const now = new Date();
  const at = toDbTime(now);
  const dateStamp = deps.calendar.dateStamp(now);
  const pricePerGram = request.orderType === 'PURCHASE' ? prices.purchase_price_per_gram : prices.sale_price_per_gram;
  const invoice: InvoiceRow = {
    id: claim?.invoiceId ?? uuidv7(),
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
  };
  const history: HistoryRow = {
    id: uuidv7(),
    invoice_id: invoice.id,
    from_status: null,
    to_status: 'PENDING',
    changed_by: request.actor.userId,
    changed_at: at,
    created_at: at,
    updated_at: at,
  };
  try {
    await insertOrder(
      deps.db,
      invoice,
      history,
      () => deps.orderNumbers(request.orderType, dateStamp),
      claim ? [completeClaimStatement(claim, at)] : [],
    );
  } catch (error) {
    if (claim && isPrimaryKeyViolation(error)) throw new ClaimSettled();
    throw error;
  }
  return presentOrder(invoice, [history]);
}
