import { principalOf } from '../auth/bearer';
import type { OperationHandlers } from '../http/operations';
import { listProducts } from './list-products';
import type { ProductRepository } from './product-repository';
import { updatePrices } from './update-prices';

/** GET /products (public) and PUT /products/{productType}/prices (ADMIN). */
export function productHandlers(
  products: ProductRepository,
): Pick<OperationHandlers, 'listProducts' | 'updateProductPrices'> {
  return {
    listProducts: async (_req, res) => {
      res.json({ data: await listProducts(products) });
    },
    updateProductPrices: async (req, res) => {
      res.json(await updatePrices(products, principalOf(res), req.params.productType, req.body));
    },
  };
}
