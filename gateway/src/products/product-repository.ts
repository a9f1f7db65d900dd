import type { SqlDatabase, SqlRow, Statement } from '../../../common/src/sql/database';
import { oneOf, text } from '../../../common/src/sql/row';
import { productTypes, type ProductType } from '../orders/types';

/** A row of `products`: prices are fixed two-place decimal strings on both databases. */
export interface ProductRecord {
  product_type: ProductType;
  purchase_price_per_gram: string;
  sale_price_per_gram: string;
  currency: 'KRW';
  updated_at: string;
}

/** What an order needs of its product: the prices per gram as of now. */
export type ProductPrices = Pick<ProductRecord, 'purchase_price_per_gram' | 'sale_price_per_gram'>;

const productColumns = 'product_type, purchase_price_per_gram, sale_price_per_gram, currency, updated_at';
const findPricesSql = 'select purchase_price_per_gram, sale_price_per_gram from products where product_type = ?';

function productOf(row: SqlRow): ProductRecord {
  return {
    product_type: oneOf(productTypes, row, 'product_type'),
    purchase_price_per_gram: text(row, 'purchase_price_per_gram'),
    sale_price_per_gram: text(row, 'sale_price_per_gram'),
    currency: oneOf({ KRW: true }, row, 'currency'),
    updated_at: text(row, 'updated_at'),
  };
}

/** The prices a findPricesStatement read, if the product exists. */
export function pricesOf(rows: readonly SqlRow[]): ProductPrices | undefined {
  const [row] = rows;
  return row === undefined
    ? undefined
    : {
        purchase_price_per_gram: text(row, 'purchase_price_per_gram'),
        sale_price_per_gram: text(row, 'sale_price_per_gram'),
      };
}

/** The read of a product's prices, for a repository that sends it along with its own statements. */
export function findPricesStatement(productType: ProductType): Statement {
  return { sql: findPricesSql, params: [productType] };
}

/** Products and their prices per gram. */
export class ProductRepository {
  constructor(private readonly db: SqlDatabase) {}

  async findAll(): Promise<ProductRecord[]> {
    const rows = await this.db.query(`select ${productColumns} from products order by product_type`, []);
    return rows.map(productOf);
  }

  /** A product's prices per gram as of now. */
  async findPrices(productType: ProductType): Promise<ProductPrices | undefined> {
    return pricesOf(await this.db.query(findPricesSql, [productType]));
  }

  /** Sets a product's prices and answers with the product as stored; undefined if there is no such product. */
  async updatePrices(
    productType: ProductType,
    prices: ProductPrices & { updated_at: string },
  ): Promise<ProductRecord | undefined> {
    const updated = await this.db.execute(
      'update products set purchase_price_per_gram = ?, sale_price_per_gram = ?, updated_at = ? where product_type = ?',
      [prices.purchase_price_per_gram, prices.sale_price_per_gram, prices.updated_at, productType],
    );
    if (updated === 0) return undefined;
    const [row] = await this.db.query(`select ${productColumns} from products where product_type = ?`, [productType]);
    return row === undefined ? undefined : productOf(row);
  }
}
