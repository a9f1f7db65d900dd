import Decimal from 'decimal.js';

/**
 * The one decimal type for money and grams: a private decimal.js constructor (the global
 * one is shared with every other module of the process) with enough significant digits for
 * any product of a quantity and a price, rounding half-up.
 */
export const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
export type Money = Decimal;

/**
 * A decimal from a validated request value: a JSON number or a decimal string. Numbers go
 * through String(n), which writes the shortest decimal that reads back as the same double,
 * i.e. exactly what the client wrote (`10.15` → "10.15"); no arithmetic on JS numbers.
 */
export function decimalOf(value: number | string): Money {
  return new Money(typeof value === 'number' ? String(value) : value);
}

/** Fixed two-place text, as stored and as returned: `10` → "10.00". */
export function twoPlaces(value: number | string): string {
  return decimalOf(value).toFixed(2);
}

/** price × quantity, rounded half-up to two places: 105000.10 × 10.15 → "1065751.02". */
export function totalPrice(pricePerGram: string, quantity: string): string {
  return new Money(pricePerGram).times(quantity).toFixed(2, Decimal.ROUND_HALF_UP);
}
