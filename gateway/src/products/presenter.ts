import type { components } from '../../../generated/openapi';
import { fromDbTimeIso } from '../../../common/src/db-time';
import type { ProductRecord } from './product-repository';

export type Product = components['schemas']['Product'];

export function presentProduct(record: ProductRecord): Product {
  return {
    productType: record.product_type,
    purchasePricePerGram: record.purchase_price_per_gram,
    salePricePerGram: record.sale_price_per_gram,
    currency: record.currency,
    updatedAt: fromDbTimeIso(record.updated_at),
  };
}
