import type { ContractDocument } from './contract';

/** A JSON Schema (or parameter) of openapi.yaml, its `$ref` followed. */
export type SchemaNode = Record<string, unknown>;

/** What each part of one operation's request must be, by name. */
export interface OperationSchemas {
  query: Map<string, SchemaNode>;
  /** By lower-case name, as Node and the validator see headers. */
  headers: Map<string, SchemaNode>;
  params: Map<string, SchemaNode>;
  body?: SchemaNode;
}

const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** A JSON object of the document (not an array, not a value). */
export function isNode(value: unknown): value is SchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A member of a node, when `at` is one. */
function member(at: unknown, key: string): unknown {
  return isNode(at) ? at[key] : undefined;
}

/** The nodes of a list (a `parameters` array), when `list` is one. */
function nodes(list: unknown): unknown[] {
  return Array.isArray(list) ? list : [];
}

/**
 * Follows `$ref`s (local ones: the contract is one document) until a node that is not
 * one; an empty node where the document has nothing.
 */
export function resolveRef(document: ContractDocument, node: unknown): SchemaNode {
  let current = node;
  for (let hops = 0; ; hops += 1) {
    const ref = member(current, '$ref');
    if (typeof ref !== 'string') return isNode(current) ? current : {};
    if (hops > 32) throw new Error(`openapi.yaml: $ref cycle at ${ref}`);
    current = ref
      .replace(/^#\//, '')
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((at, key) => member(at, key), document);
  }
}

/**
 * The request schemas of every operation, found by method and path template: the rules
 * of the contract that the reading of query strings and the wording of validation errors
 * need, read once from openapi.yaml.
 */
export class ContractSchemas {
  private readonly operations = new Map<string, OperationSchemas>();

  constructor(private readonly document: ContractDocument) {
    for (const [template, rawItem] of Object.entries(document.paths ?? {})) {
      const item = resolveRef(document, rawItem);
      for (const method of methods) {
        const operation = item[method];
        if (!isNode(operation)) continue;
        const schemas: OperationSchemas = { query: new Map(), headers: new Map(), params: new Map() };
        const parameters = [...nodes(item.parameters), ...nodes(operation.parameters)];
        for (const raw of parameters) {
          const parameter = resolveRef(document, raw);
          const schema = { ...resolveRef(document, parameter.schema), description: parameter.description };
          const name = String(parameter.name);
          if (parameter.in === 'query') schemas.query.set(name, schema);
          else if (parameter.in === 'header') schemas.headers.set(name.toLowerCase(), schema);
          else if (parameter.in === 'path') schemas.params.set(name, schema);
        }
        const body = resolveRef(document, operation.requestBody);
        const bodySchema = member(member(body.content, 'application/json'), 'schema');
        if (bodySchema) schemas.body = resolveRef(document, bodySchema);
        this.operations.set(`${method.toUpperCase()} ${template}`, schemas);
      }
    }
  }

  of(method: string, template: string): OperationSchemas | undefined {
    return this.operations.get(`${method} ${template}`);
  }

  /**
   * The schema at a validator error's location (`/body/quantity`, `/query/limit`,
   * `/headers/idempotency-key`, `/params/orderId`); undefined where the contract has none.
   */
  at(schemas: OperationSchemas, location: string): SchemaNode | undefined {
    const [, part, name, ...rest] = location.split('/');
    if (part === 'query') return schemas.query.get(name);
    if (part === 'headers') return schemas.headers.get(name?.toLowerCase());
    if (part === 'params') return schemas.params.get(name);
    if (part !== 'body' || !schemas.body) return undefined;
    let schema: SchemaNode | undefined = schemas.body;
    for (const key of name === undefined ? [] : [name, ...rest]) {
      const next: unknown = member(schema?.properties, key) ?? (/^\d+$/.test(key) ? schema?.items : undefined);
      schema = next === undefined ? undefined : resolveRef(this.document, next);
    }
    return schema;
  }
}
