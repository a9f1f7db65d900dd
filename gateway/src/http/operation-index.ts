import type { OperationId } from './operations';
import type { ContractDocument } from './contract';

/** The bearer scheme an operation requires, by its name in openapi.yaml. */
export type SecurityScheme = 'accessToken' | 'refreshToken';

export interface ContractOperation {
  operationId: OperationId;
  method: string;
  /** The path template of openapi.yaml, e.g. `/orders/{orderId}`. */
  template: string;
  security: SecurityScheme | null;
  hasBody: boolean;
}

interface PathEntry {
  template: string;
  pattern: RegExp;
  operations: Map<string, ContractOperation>;
}

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

function schemeOf(
  security: ReadonlyArray<Record<string, unknown>> | undefined,
  template: string,
): SecurityScheme | null {
  const schemes = (security ?? []).flatMap((requirement) => Object.keys(requirement));
  if (schemes.length === 0) return null;
  if (schemes.length > 1 || (schemes[0] !== 'accessToken' && schemes[0] !== 'refreshToken')) {
    throw new Error(`${template}: unsupported security requirement ${schemes.join(', ')}`);
  }
  return schemes[0];
}

function patternOf(template: string): RegExp {
  const source = template
    .split(/\{[^}]+\}/)
    .map((literal) => literal.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  // Express routes are not strict: a trailing slash matches the same route.
  return new RegExp(`^${source}/?$`);
}

/**
 * Every operation of the contract, found by method and request path the way the
 * validator finds it (literal paths before templated ones, path first, then method), so
 * the bearer check and the body parser agree with the validator on which operation a
 * request is.
 */
export class OperationIndex {
  private readonly paths: PathEntry[];

  constructor(document: ContractDocument) {
    const topLevelSecurity = document.security as ReadonlyArray<Record<string, unknown>> | undefined;
    this.paths = Object.entries(document.paths ?? {}).map(([template, item]) => {
      const operations = new Map<string, ContractOperation>();
      for (const method of methods) {
        const operation = item[method];
        if (!operation) continue;
        if (!operation.operationId) throw new Error(`${method.toUpperCase()} ${template} has no operationId`);
        operations.set(method.toUpperCase(), {
          operationId: operation.operationId as OperationId,
          method: method.toUpperCase(),
          template,
          security: schemeOf(operation.security ?? topLevelSecurity, template),
          hasBody: operation.requestBody !== undefined,
        });
      }
      return { template, pattern: patternOf(template), operations };
    });
    // Literal segments sort before templated ones (`/orders/purchase` before `/orders/{orderId}`).
    this.paths.sort((a, b) => (a.template.replace(/\{/g, '~') < b.template.replace(/\{/g, '~') ? -1 : 1));
  }

  /** The operation a request addresses; undefined for unknown paths and methods (the validator answers 404/405). */
  match(method: string, path: string): ContractOperation | undefined {
    for (const entry of this.paths) {
      if (entry.pattern.test(path)) return entry.operations.get(method);
    }
    return undefined;
  }

  all(): ContractOperation[] {
    return this.paths.flatMap((entry) => [...entry.operations.values()]);
  }
}
