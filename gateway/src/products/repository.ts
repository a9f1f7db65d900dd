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

/** What an order needs of its product: the prices per gram as of now. */
export type ProductPrices = Pick<ProductRow, 'purchase_price_per_gram' | 'sale_price_per_gram'>;

const findPricesSql = 'select purchase_price_per_gram, sale_price_per_gram from products where product_type = ?';

/** The read of a product's prices, for a batch that carries it along with other statements. */
export function findPricesStatement(productType: ProductType): Statement {
  return { sql: findPricesSql, bindings: [productType] };
}

/** The prices a findPricesStatement read, if the product exists. */
export function pricesRead(outcome: StatementOutcome): ProductPrices | undefined {
  return outcome.rows[0] as unknown as ProductPrices | undefined;
}

/** A product's prices per gram as of now. */
export async function findPrices(db: Queryable, productType: ProductType): Promise<ProductPrices | undefined> {
  const [row] = await selectRows<ProductPrices>(db, findPricesSql, [productType]);
  return row;
}

/** One product, whole (what a price update answers with). */
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
