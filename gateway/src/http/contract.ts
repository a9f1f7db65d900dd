import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as OpenApiValidator from 'express-openapi-validator';
import { parse } from 'yaml';
import { repoRoot } from '../../../common/src/repo-root';

/** openapi.yaml (OpenAPI 3.1) as express-openapi-validator's public options type it. */
export type ContractDocument = Extract<
  Parameters<typeof OpenApiValidator.middleware>[0]['apiSpec'],
  { openapi: `3.1.${string}` }
>;

type PathItem = NonNullable<NonNullable<ContractDocument['paths']>[string]>;

/** openapi.yaml, read once: the route table, the validator's rules and the published docs. */
export interface Contract {
  document: ContractDocument;
  yaml: string;
}

/** The bearer scheme an operation requires, by its name in openapi.yaml. */
export type SecurityScheme = 'accessToken' | 'refreshToken';

export const httpMethods = ['get', 'put', 'post', 'delete', 'patch'] as const;
export type HttpMethod = (typeof httpMethods)[number];

/** One operation of the contract, as the router mounts it. */
export interface ContractOperation {
  operationId: string;
  method: HttpMethod;
  /** The path template of openapi.yaml, e.g. `/orders/{orderId}`. */
  template: string;
  security: SecurityScheme | null;
  hasBody: boolean;
  /** The contract narrowed to this operation (with every component), for its own validator. */
  document: ContractDocument;
}

export const contractFile = path.join(repoRoot, 'openapi.yaml');

export function loadContract(file = contractFile): Contract {
  const yaml = readFileSync(file, 'utf8');
  // The validator checks the whole document against the OpenAPI schema at start-up.
  const document: ContractDocument = parse(yaml);
  return { document, yaml };
}

function schemeOf(security: ReadonlyArray<Record<string, unknown>> | undefined, where: string): SecurityScheme | null {
  const schemes = (security ?? []).flatMap((requirement) => Object.keys(requirement));
  if (schemes.length === 0) return null;
  const [scheme] = schemes;
  if (schemes.length > 1 || (scheme !== 'accessToken' && scheme !== 'refreshToken')) {
    throw new Error(`${where}: unsupported security requirement ${schemes.join(', ')}`);
  }
  return scheme;
}

type Components = ContractDocument['components'];

/** The `#/components/<kind>/<name>` references anywhere in a part of the document. */
function referencesIn(part: unknown, found: Array<[string, string]>): void {
  if (Array.isArray(part)) {
    for (const item of part) referencesIn(item, found);
  } else if (typeof part === 'object' && part !== null) {
    for (const [key, value] of Object.entries(part)) {
      const target =
        key === '$ref' && typeof value === 'string' ? /^#\/components\/([^/]+)\/([^/]+)$/.exec(value) : null;
      if (target) found.push([target[1], target[2]]);
      else referencesIn(value, found);
    }
  }
}

/** Only the entries of `all` whose names were used. */
function picked<T>(all: Readonly<Record<string, T>> | undefined, used: Set<string> | undefined) {
  return all && Object.fromEntries(Object.entries(all).filter(([name]) => used?.has(name)));
}

/**
 * The components a path item uses, followed from reference to reference, and the security
 * schemes: an operation's validator compiles and keeps only these, not the whole catalogue.
 */
function componentsUsedBy(item: PathItem, components: Components): Components {
  const used = new Map<string, Set<string>>();
  const pending: Array<[string, string]> = [];
  referencesIn(item, pending);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [kind, name] = next;
    const names = used.get(kind) ?? new Set<string>();
    if (names.has(name)) continue;
    used.set(kind, names.add(name));
    referencesIn(Reflect.get(Reflect.get(components, kind) ?? {}, name), pending);
  }
  return {
    securitySchemes: components.securitySchemes,
    schemas: picked(components.schemas, used.get('schemas')),
    responses: picked(components.responses, used.get('responses')),
    parameters: picked(components.parameters, used.get('parameters')),
    requestBodies: picked(components.requestBodies, used.get('requestBodies')),
    headers: picked(components.headers, used.get('headers')),
    examples: picked(components.examples, used.get('examples')),
  };
}

/**
 * Every operation of the contract, literal paths before templated ones
 * (`/orders/purchase` before `/orders/{orderId}`), so that the router, which takes the
 * first route that matches, finds the operation the contract means.
 */
export function contractOperations(document: ContractDocument): ContractOperation[] {
  const templates = Object.keys(document.paths ?? {}).sort((a, b) =>
    a.replace(/\{/g, '~') < b.replace(/\{/g, '~') ? -1 : 1,
  );
  return templates.flatMap((template) => {
    const item: PathItem | undefined = document.paths?.[template];
    if (item === undefined) return [];
    return httpMethods.flatMap((method) => {
      const operation = item[method];
      if (operation === undefined) return [];
      const where = `${method.toUpperCase()} ${template}`;
      if (!operation.operationId) throw new Error(`${where} has no operationId`);
      const narrowedItem: PathItem = { parameters: item.parameters, [method]: operation };
      return [
        {
          operationId: operation.operationId,
          method,
          template,
          security: schemeOf(operation.security ?? document.security, where),
          hasBody: operation.requestBody !== undefined,
          document: {
            ...document,
            paths: { [template]: narrowedItem },
            components: componentsUsedBy(narrowedItem, document.components),
          },
        },
      ];
    });
  });
}
