import { presentProduct, type Product } from './presenter';
import type { ProductRepository } from './product-repository';

/** Every product with its current prices, sorted by product type. */
export async function listProducts(products: ProductRepository): Promise<Product[]> {
  return (await products.findAll()).map(presentProduct);
}
