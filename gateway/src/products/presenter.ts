import type { components } from '../../../generated/openapi';
import { fromDbTimeIso } from '../../../common/src/db-time';
import type { ProductRow } from './repository';

export type Product = components['schemas']['Product'];

export function presentProduct(row: ProductRow): Product {
  return {
    productType: row.product_type,
    purchasePricePerGram: row.purchase_price_per_gram,
    salePricePerGram: row.sale_price_per_gram,
    currency: row.currency,
    updatedAt: fromDbTimeIso(row.updated_at),
  };
}
