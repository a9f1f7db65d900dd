import type { ErrorRequestHandler } from 'express';
import { isValidatorError, type ValidatorError } from './error-handler';
import type { ContractSchemas, OperationSchemas, SchemaNode } from './operation-schemas';
import { ProblemError, type ProblemFieldError } from './problem';
import { queryReadingErrorsOf } from './query-reading';

const formats: Record<string, string> = {
  date: 'must be a calendar date written YYYY-MM-DD, such as 2026-01-31',
  'date-time': 'must be an ISO-8601 date and time, such as 2026-01-31T23:10:00.000Z',
  uuid: 'must be a UUID, such as 0193b2c4-6f1e-7a3b-9c2d-4e5f6a7b8c9d',
  uri: 'must be an absolute URI',
};

const types: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'a JSON array',
  null: 'null',
};

/** The rule of a field in words, from its schema alone. */
function ruleOf(schema: SchemaNode): string {
  if (typeof schema['x-error-message'] === 'string') return schema['x-error-message'];
  if (Array.isArray(schema.enum)) return `must be one of ${schema.enum.join(', ')}`;
  if (schema.const !== undefined) return `must be ${String(schema.const)}`;
  if (typeof schema.format === 'string' && formats[schema.format]) return formats[schema.format];
  const type = [schema.type].flat().map((name) => types[String(name)] ?? String(name));
  return type.length > 0 && schema.type !== undefined ? `must be ${type.join(' or ')}` : 'is not valid here';
}

/** One keyword's failure in words; the keyword comes from the validator's `errorCode`. */
function phrase(schema: SchemaNode | undefined, keyword: string | undefined, location: string): string {
  if (keyword === 'required') return 'is required';
  if (keyword === 'additionalProperties' || keyword === 'unevaluatedProperties')
    return 'is not a field of this request';
  if (!schema)
    return location.startsWith('/query/') ? 'is not a parameter of this operation' : 'is not part of this request';
  if (typeof schema['x-error-message'] === 'string') return schema['x-error-message'];
  switch (keyword) {
    case 'minimum':
      return `must be at least ${String(schema.minimum)}`;
    case 'maximum':
      return `must be at most ${String(schema.maximum)}`;
    case 'exclusiveMinimum':
      return `must be greater than ${String(schema.exclusiveMinimum)}`;
    case 'exclusiveMaximum':
      return `must be less than ${String(schema.exclusiveMaximum)}`;
    case 'minLength':
      return `must be at least ${String(schema.minLength)} characters long`;
    case 'maxLength':
      return `must be at most ${String(schema.maxLength)} characters long`;
    default:
      return ruleOf(schema);
  }
}

function inWords(
  schemas: ContractSchemas,
  operation: OperationSchemas | undefined,
  error: ValidatorError,
  reading: ProblemFieldError[],
) {
  // What reading the request found says more than what the validator made of the value.
  const byPath = new Map<string, ProblemFieldError>(reading.map((found) => [found.path, found]));
  for (const { path, errorCode } of error.errors ?? []) {
    if (byPath.has(path)) continue;
    const schema = operation && schemas.at(operation, path);
    byPath.set(path, { path, message: phrase(schema, errorCode?.replace(/\.openapi\.validation$/, ''), path) });
  }
  return [...byPath.values()];
}

/**
 * Turns the validator's 400 into problem details whose `errors[]` say, once per broken
 * field, the field's rule in words: its `x-error-message` in openapi.yaml (every pattern
 * and `oneOf` of a request has one), else words made from the standard keyword (bounds,
 * lengths, enums, formats, types); what reading the query string found comes first. The validator's own messages quote regular
 * expressions and JSON Schema jargon that an app cannot show to a person.
 */
export function validationErrorsInWords(
  schemas: ContractSchemas,
  found: OperationSchemas | undefined,
): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (!isValidatorError(error) || error.status !== 400) return next(error);
    next(
      new ProblemError('invalid-request', 'The request does not match the contract.', {
        errors: inWords(schemas, found, error, queryReadingErrorsOf(res)),
      }),
    );
  };
}
