import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../../../common/src/repo-root';

/** A JSON Schema fragment of openapi.yaml with every $ref resolved. */
export type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  oneOf?: Schema[];
  items?: Schema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
};

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

export interface SpecOperation {
  operationId: string;
  method: string;
  /** The path template, e.g. /orders/{orderId}. */
  path: string;
  /** Which bearer token the operation takes, if any. */
  security: 'access' | 'refresh' | 'none';
  /** The contract also lists no-token access (`{}`): refresh, whose token may travel in the body. */
  anonymousAllowed: boolean;
  parameters: Parameter[];
  body?: Schema;
  /** Statuses the contract documents for this operation. */
  statuses: number[];
}

type Json = Record<string, unknown>;

function resolve(document: Json, node: unknown): unknown {
  if (Array.isArray(node)) return node.map((item) => resolve(document, item));
  if (node === null || typeof node !== 'object') return node;
  const ref = (node as Json).$ref;
  if (typeof ref === 'string') {
    const target = ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((at, key) => (at as Json)[key], document);
    return resolve(document, target);
  }
  return Object.fromEntries(Object.entries(node as Json).map(([key, value]) => [key, resolve(document, value)]));
}

const methods = ['get', 'put', 'post', 'delete', 'patch'];

/** The operations of openapi.yaml, the document the gateway serves and validates with. */
export function loadSpecOperations(file = path.join(repoRoot, 'openapi.yaml')): SpecOperation[] {
  const document = parse(readFileSync(file, 'utf8')) as Json;
  const operations: SpecOperation[] = [];
  for (const [route, item] of Object.entries(document.paths as Record<string, Json>)) {
    const shared = (resolve(document, item.parameters ?? []) as Parameter[]) ?? [];
    for (const method of methods) {
      const raw = item[method] as Json | undefined;
      if (!raw) continue;
      const operation = resolve(document, raw) as Json;
      const security = (operation.security as Array<Record<string, unknown>> | undefined) ?? [];
      const scheme = security.flatMap((entry) => Object.keys(entry))[0];
      const body = operation.requestBody as { content?: Record<string, { schema: Schema }> } | undefined;
      operations.push({
        operationId: String(operation.operationId),
        method: method.toUpperCase(),
        path: route,
        security: scheme === 'accessToken' ? 'access' : scheme === 'refreshToken' ? 'refresh' : 'none',
        anonymousAllowed: security.some((entry) => Object.keys(entry).length === 0),
        parameters: [...shared, ...((operation.parameters as Parameter[] | undefined) ?? [])].map((parameter) => ({
          ...parameter,
          required: parameter.required ?? false,
        })),
        body: body?.content?.['application/json']?.schema,
        statuses: Object.keys(operation.responses as Json).map(Number),
      });
    }
  }
  return operations;
}

/**
 * Percent-encodes the UTF-8 bytes of any text, lone surrogates included (they become
 * U+FFFD, as any UTF-8 encoder must make them): encodeURIComponent throws on those.
 */
export function encodeText(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The path with its parameters filled in (values are percent-encoded unless `raw`). */
export function fillPath(template: string, values: Record<string, string>, raw = false): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => (raw ? values[name] : encodeText(values[name])));
}
