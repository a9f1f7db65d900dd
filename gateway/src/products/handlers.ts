import type { Knex } from 'knex';
import { principalOf } from '../auth/principal';
import type { OperationHandlers } from '../http/operations';
import { listProducts } from './list-products';
import type { ProductType } from './repository';
import { updatePrices, type PriceChange } from './update-prices';

/** GET /products (public) and PUT /products/{productType}/prices (ADMIN). */
export function productHandlers(deps: { db: Knex }): OperationHandlers {
  return {
    listProducts: async (_req, res) => {
      res.json({ data: await listProducts(deps.db) });
    },
    updateProductPrices: async (req, res) => {
      const productType = req.params.productType as ProductType;
      res.json(await updatePrices(deps.db, principalOf(res), productType, req.body as PriceChange));
    },
  };
}
