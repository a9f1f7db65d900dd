import { randomBytesFromPool } from '../ids/random-pool';
import type { OrderType } from './types';

/** Crockford's base 32: digits and capitals without I, L, O and U, which read as others. */
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Makes an order number for an order of this type created on this business day (`YYYYMMDD`). */
export type OrderNumberSource = (orderType: OrderType, dateStamp: string) => string;

/**
 * `P-20260131-7K3Q9X2M` (purchase) or `S-…` (sale): the business day and 8 random symbols.
 * 5 random bytes are exactly 8 five-bit symbols (no modulo bias): 2^40 numbers per day and
 * type, so a collision is astronomically rare, and the unique index catches it anyway.
 */
export const randomOrderNumber: OrderNumberSource = (orderType, dateStamp) => {
  const bits = randomBytesFromPool(5).readUIntBE(0, 5);
  let suffix = '';
  for (let shift = 35; shift >= 0; shift -= 5) suffix += alphabet[Math.floor(bits / 2 ** shift) % 32];
  return `${orderType === 'PURCHASE' ? 'P' : 'S'}-${dateStamp}-${suffix}`;
};
