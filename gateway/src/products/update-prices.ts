import type { Knex } from 'knex';
import { toDbTime } from '../../../common/src/db-time';
import type { Principal } from '../auth/principal';
import { ProblemError } from '../http/problem';
import { twoPlaces } from '../orders/money';
import { presentProduct, type Product } from './presenter';
import { findProduct, updateProductPrices, type ProductType } from './repository';

export interface PriceChange {
  purchasePricePerGram: number | string;
  salePricePerGram: number | string;
}

/**
 * Sets a product's prices (ADMIN only). Orders keep the price they were created with.
 * The contract already bounds each price (> 0, ≤ 99999999.99, two places).
 */
export async function updatePrices(
  db: Knex,
  actor: Principal,
  productType: ProductType,
  change: PriceChange,
): Promise<Product> {
  if (actor.role !== 'ADMIN') throw new ProblemError('forbidden', 'Only an administrator may set prices.');
  const updated = await updateProductPrices(db, productType, {
    purchasePricePerGram: twoPlaces(change.purchasePricePerGram),
    salePricePerGram: twoPlaces(change.salePricePerGram),
    updatedAt: toDbTime(new Date()),
  });
  const product = updated ? await findProduct(db, productType) : undefined;
  // The seed inserts every product type of the contract on each migration run.
  if (!product) throw new Error(`product ${productType} is missing: the orders database is not migrated`);
  return presentProduct(product);
}
