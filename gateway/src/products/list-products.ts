import type { Knex } from 'knex';
import { presentProduct, type Product } from './presenter';
import { findAllProducts } from './repository';

/** Every product with its current prices, sorted by product type. */
export async function listProducts(db: Knex): Promise<Product[]> {
  return (await findAllProducts(db)).map(presentProduct);
}
