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

/** Follows `$ref`s (local ones: the contract is one document) until a node that is not one. */
export function resolveRef(document: ContractDocument, node: unknown): SchemaNode {
  let current = node as SchemaNode;
  for (let hops = 0; typeof current?.$ref === 'string'; hops += 1) {
    if (hops > 32) throw new Error(`openapi.yaml: $ref cycle at ${String(current.$ref)}`);
    current = (current.$ref as string)
      .replace(/^#\//, '')
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<SchemaNode>((at, key) => at[key] as SchemaNode, document as unknown as SchemaNode);
  }
  return current;
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
        const operation = item[method] as SchemaNode | undefined;
        if (!operation) continue;
        const schemas: OperationSchemas = { query: new Map(), headers: new Map(), params: new Map() };
        const parameters = [...((item.parameters as unknown[]) ?? []), ...((operation.parameters as unknown[]) ?? [])];
        for (const raw of parameters) {
          const parameter = resolveRef(document, raw);
          const schema = { ...resolveRef(document, parameter.schema), description: parameter.description };
          const name = String(parameter.name);
          if (parameter.in === 'query') schemas.query.set(name, schema);
          else if (parameter.in === 'header') schemas.headers.set(name.toLowerCase(), schema);
          else if (parameter.in === 'path') schemas.params.set(name, schema);
        }
        const body = resolveRef(document, operation.requestBody) as { content?: Record<string, { schema?: unknown }> };
        const bodySchema = body?.content?.['application/json']?.schema;
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
      const properties = schema?.properties as Record<string, unknown> | undefined;
      const next: unknown = properties?.[key] ?? (/^\d+$/.test(key) ? schema?.items : undefined);
      schema = next === undefined ? undefined : resolveRef(this.document, next);
    }
    return schema;
  }
}
