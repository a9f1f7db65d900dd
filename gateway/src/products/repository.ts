import type { Knex } from 'knex';
import type { components } from '../../../generated/openapi';
import { selectRows, type Queryable, type Statement, type StatementOutcome } from '../orders/sql';

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

/** The read of one product, for a batch that carries it along with other statements. */
export function findProductStatement(productType: ProductType): Statement {
  return { sql: 'select * from products where product_type = ?', bindings: [productType] };
}

/** The product a findProductStatement read, if it exists. */
export function productRead(outcome: StatementOutcome): ProductRow | undefined {
  return outcome.rows[0] as unknown as ProductRow | undefined;
}

/** One product; inside a transaction when the caller needs a consistent price snapshot. */
export async function findProduct(db: Queryable, productType: ProductType): Promise<ProductRow | undefined> {
  const { sql, bindings } = findProductStatement(productType);
  const [row] = await selectRows<ProductRow>(db, sql, bindings);
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
