import type { Knex } from 'knex';
import type { components } from '../../../generated/openapi';
import { selectRows, type Queryable } from '../orders/sql';

export type ProductType = components['schemas']['ProductType'];

/** A row of `products`: prices are fixed two-place decimal strings on both databases. */
export interface ProductRow {
  id: string;
  product_type: ProductType;
  purchase_price_per_gram: string;
  sale_price_per_gram: string;
  currency: 'KRW';
  created_at: string;
  updated_at: string;
}

export function findAllProducts(db: Knex): Promise<ProductRow[]> {
  return db<ProductRow>('products').select('*').orderBy('product_type');
}

/** One product; inside a transaction when the caller needs a consistent price snapshot. */
export async function findProduct(db: Queryable, productType: ProductType): Promise<ProductRow | undefined> {
  const [row] = await selectRows<ProductRow>(db, 'select * from products where product_type = ?', [productType]);
  return row;
}

export async function updateProductPrices(
  db: Knex,
  productType: ProductType,
  prices: { purchasePricePerGram: string; salePricePerGram: string; updatedAt: string },
): Promise<boolean> {
  const updated = await db<ProductRow>('products').where({ product_type: productType }).update({
    purchase_price_per_gram: prices.purchasePricePerGram,
    sale_price_per_gram: prices.salePricePerGram,
    updated_at: prices.updatedAt,
  });
  return updated > 0;
}
