import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import { toDbTime } from '../../../common/src/db-time';

/**
 * The two gold products, inserted only when missing: seeds run after every migration run
 * and must never overwrite prices. These opening prices (KRW per gram, around the Korean
 * retail gold market of late 2025) are opening values: operators set current ones with
 * PUT /products/{productType}/prices. Customers buy at the purchase price and sell at the
 * lower sale price.
 */
const openingPrices = [
  { productType: 'GOLD_999', purchase: '193000.00', sale: '176000.00' },
  { productType: 'GOLD_9999', purchase: '195000.00', sale: '178000.00' },
];

export async function seed(knex: Knex): Promise<void> {
  const now = toDbTime(new Date());
  await knex('products')
    .insert(
      openingPrices.map((product) => ({
        id: uuidv7(),
        product_type: product.productType,
        purchase_price_per_gram: product.purchase,
        sale_price_per_gram: product.sale,
        currency: 'KRW',
        created_at: now,
        updated_at: now,
      })),
    )
    // Several replicas may migrate at once: a product another one inserted is kept as is.
    .onConflict('product_type')
    .ignore();
}
