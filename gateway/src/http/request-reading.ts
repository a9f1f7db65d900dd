import type { ContractDocument } from './contract';

/**
 * The rules openapi.yaml states under `x-request-reading` for the text of a request,
 * applied before its values meet the schemas: JSON Schema sees `10.500` as 10.5 and
 * `limit=1e1` as 10, so how a number was spelled can only be judged while reading.
 */
export interface ReadingRules {
  /** What every JSON number of a body must look like (plain digits, at most two places). */
  jsonNumber: RegExp;
  /** What the text of an integer query parameter must look like (plain digits). */
  integerParameter: RegExp;
}

export function readingRules(document: ContractDocument): ReadingRules {
  const stated: unknown = Reflect.get(document, 'x-request-reading');
  const pattern = (name: string): RegExp => {
    const source: unknown = typeof stated === 'object' && stated !== null ? Reflect.get(stated, name) : undefined;
    if (typeof source !== 'string') throw new Error(`openapi.yaml: x-request-reading.${name} is missing`);
    return new RegExp(source, 'u');
  };
  return { jsonNumber: pattern('jsonNumber'), integerParameter: pattern('integerParameter') };
}
