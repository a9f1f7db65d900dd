import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Schema } from './spec';

/**
 * Decides from openapi.yaml alone whether a value must be refused: if it breaks the
 * contract's schema, the gateway must answer 4xx. Values that fit the schema may still
 * be refused by a route's own rules, so they only have to be answered without a 5xx.
 */
export class ContractOracle {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  private readonly coercing = new Ajv2020({ strict: false, allErrors: false, coerceTypes: true, useDefaults: true });
  private readonly cache = new Map<Schema, (value: unknown) => boolean>();
  private readonly coercedCache = new Map<Schema, (value: unknown) => boolean>();

  constructor() {
    for (const ajv of [this.ajv, this.coercing]) {
      addFormats(ajv);
      // "At most two decimal places" for JSON numbers, as the contract words it.
      ajv.addFormat('decimal-2', {
        type: 'number',
        validate: (value: number) => Number.isFinite(value) && /^\d+(\.\d{1,2})?$/.test(String(value)),
      });
    }
  }

  /** True when the JSON value satisfies the schema. */
  fits(schema: Schema, value: unknown): boolean {
    let check = this.cache.get(schema);
    if (!check) {
      const validate = this.ajv.compile(schema);
      check = (candidate) => validate(candidate) as boolean;
      this.cache.set(schema, check);
    }
    return check(value);
  }

  /** True when query/path text satisfies the schema after the usual coercion of parameters. */
  parameterFits(schema: Schema, text: string | string[]): boolean {
    let check = this.coercedCache.get(schema);
    if (!check) {
      const validate = this.coercing.compile({ type: 'object', properties: { value: schema }, required: ['value'] });
      check = (candidate) => validate({ value: candidate }) as boolean;
      this.coercedCache.set(schema, check);
    }
    return check(text);
  }
}

/** UTF-8 length, the measure of bcrypt's 72-byte limit. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The password rules DESIGN.md adds to the schema (bytes, letter, digit, not the username). */
export function passwordBreaksRules(username: unknown, password: unknown): boolean {
  if (typeof password !== 'string') return true;
  return (
    utf8Length(password) < 8 ||
    utf8Length(password) > 72 ||
    !/\p{L}/u.test(password) ||
    !/\p{Nd}/u.test(password) ||
    username === password
  );
}
