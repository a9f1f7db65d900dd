import type { ProductRepository } from '../products/product-repository';
import type { BusinessCalendar } from './business-calendar';
import type { IdempotencyKeyRepository } from './idempotency-keys';
import type { OrderNumberSource } from './order-number';
import type { OrderRepository } from './order-repository';

/** What the orders use cases work with. */
export interface OrdersDeps {
  orders: OrderRepository;
  keys: IdempotencyKeyRepository;
  products: ProductRepository;
  calendar: BusinessCalendar;
  orderNumbers: OrderNumberSource;
}
