import { toDbTime } from '../../../common/src/db-time';
import type { Principal } from '../auth/principal';
import { ProblemError } from '../http/problem';
import { twoPlaces } from '../orders/money';
import type { ProductType } from '../orders/types';
import { presentProduct, type Product } from './presenter';
import type { ProductRepository } from './product-repository';

export interface PriceChange {
  purchasePricePerGram: number | string;
  salePricePerGram: number | string;
}

/**
 * Sets a product's prices (ADMIN only). Orders keep the price they were created with.
 * The contract already bounds each price (> 0, ≤ 99999999.99, two places).
 */
export async function updatePrices(
  products: ProductRepository,
  actor: Principal,
  productType: ProductType,
  change: PriceChange,
): Promise<Product> {
  if (actor.role !== 'ADMIN') throw new ProblemError('forbidden', 'Only an administrator may set prices.');
  const product = await products.updatePrices(productType, {
    purchase_price_per_gram: twoPlaces(change.purchasePricePerGram),
    sale_price_per_gram: twoPlaces(change.salePricePerGram),
    updated_at: toDbTime(new Date()),
  });
  // The seed inserts every product type of the contract on each migration run.
  if (!product) throw new Error(`product ${productType} is missing: the orders database is not migrated`);
  return presentProduct(product);
}
