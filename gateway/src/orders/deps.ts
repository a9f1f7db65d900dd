import type { Knex } from 'knex';
import type { BusinessCalendar } from './business-calendar';
import type { OrderNumberSource } from './order-number';

/** What the orders use-cases work with. */
export interface OrdersDeps {
  db: Knex;
  calendar: BusinessCalendar;
  orderNumbers: OrderNumberSource;
}
