import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';

type Json = Record<string, unknown>;

/** A request as sent on the wire: the text of its query and body, exactly. */
export interface RequestToJudge {
  operationId: string;
  /** Path parameters, decoded. */
  pathValues?: Record<string, string>;
  /** The query string after `?`, as sent (percent-encoded). */
  query?: string;
  headers?: Record<string, string>;
  /** The body's bytes (a string is UTF-8); undefined: no body. */
  body?: string | Buffer;
}

interface Located {
  schema: ValidateFunction;
  pointer: string;
}

interface OperationRules {
  query: Map<string, Located & { type?: unknown; required: boolean }>;
  headers: Map<string, Located & { required: boolean }>;
  path: Map<string, Located>;
  body?: Located & { required: boolean };
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * A validator of requests built only from the published contract (`/openapi.json`):
 * ajv's JSON Schema 2020-12 with the standard formats of ajv-formats and nothing of the
 * gateway's code, plus the reading rules the contract states for tools in
 * `x-request-reading` (JSON Schema judges values, and those rules judge the text: how a
 * number was spelled, a repeated parameter, a body's encoding). It says which parts of
 * a request break the contract; an empty answer means the contract accepts it.
 */
export class IndependentValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly operations = new Map<string, OperationRules>();
  private readonly jsonNumber: RegExp;
  private readonly integerParameter: RegExp;
  private readonly contentCodings: string[];
  private readonly charsets: string[];

  constructor(private readonly spec: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema(spec, 'openapi.json');
    const reading = spec['x-request-reading'] as Record<string, string>;
    this.jsonNumber = new RegExp(reading.jsonNumber, 'u');
    this.integerParameter = new RegExp(reading.integerParameter, 'u');
    this.contentCodings = (reading.contentCodings as unknown as string[]).map((coding) => coding.toLowerCase());
    this.charsets = (reading.charsets as unknown as string[]).map((charset) => charset.toLowerCase());
    for (const [template, item] of Object.entries(spec.paths as Record<string, Json>)) {
      for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
        const operation = item[method] as Json | undefined;
        if (!operation) continue;
        const itemAt = `/paths/${escapePointer(template)}`;
        this.operations.set(String(operation.operationId), this.rulesOf(operation, item, itemAt, method));
      }
    }
  }

  /** `#/a/b` or an inline node at `pointer`, as [node, its pointer]. */
  private follow(node: Json, pointer: string): [Json, string] {
    let current = node;
    let at = pointer;
    while (typeof current.$ref === 'string') {
      at = current.$ref.slice(1);
      current = at
        .split('/')
        .slice(1)
        .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce<Json>((value, key) => value[key] as Json, this.spec);
    }
    return [current, at];
  }

  private compile(pointer: string): ValidateFunction {
    return this.ajv.compile({ $ref: `openapi.json#${pointer}` });
  }

  private rulesOf(operation: Json, item: Json, itemAt: string, method: string): OperationRules {
    const rules: OperationRules = { query: new Map(), headers: new Map(), path: new Map() };
    const at = `${itemAt}/${method}`;
    const parameters = [
      ...((item.parameters as Json[]) ?? []).map((p, i) => this.follow(p, `${itemAt}/parameters/${i}`)),
      ...((operation.parameters as Json[]) ?? []).map((p, i) => this.follow(p, `${at}/parameters/${i}`)),
    ];
    for (const [parameter, pointer] of parameters) {
      const [schema] = this.follow(parameter.schema as Json, `${pointer}/schema`);
      const located = { schema: this.compile(`${pointer}/schema`), pointer, required: parameter.required === true };
      const name = String(parameter.name);
      if (parameter.in === 'query') rules.query.set(name, { ...located, type: schema.type });
      else if (parameter.in === 'header') rules.headers.set(name.toLowerCase(), located);
      else if (parameter.in === 'path') rules.path.set(name, located);
    }
    if (operation.requestBody) {
      const [body, pointer] = this.follow(operation.requestBody as Json, `${at}/requestBody`);
      const schemaPointer = `${pointer}/content/application~1json/schema`;
      rules.body = { schema: this.compile(schemaPointer), pointer: schemaPointer, required: body.required === true };
    }
    return rules;
  }

  private static locations(prefix: string, errors: ErrorObject[] | null | undefined): string[] {
    return (errors ?? []).map((error) => {
      const params = error.params as { missingProperty?: string; additionalProperty?: string };
      const member = params.missingProperty ?? params.additionalProperty;
      return `${prefix}${error.instancePath}${member === undefined ? '' : `/${escapePointer(member)}`}`;
    });
  }

  /**
   * The locations (`/body/quantity`, `/query/limit`, …) where the request breaks the
   * contract, and whether a reading rule (not JSON Schema) found any of them.
   */
  judge(request: RequestToJudge): { broken: string[]; byReadingRule: boolean } {
    const rules = this.operations.get(request.operationId);
    if (!rules) throw new Error(`no operation ${request.operationId} in the contract`);
    const broken = new Set<string>();
    let byReadingRule = false;
    const seen = new Map<string, number>();
    for (const [name, value] of new URLSearchParams(request.query ?? '')) {
      const where = `/query/${name}`;
      seen.set(name, (seen.get(name) ?? 0) + 1);
      const rule = rules.query.get(name);
      if (!rule) {
        broken.add(where);
        continue;
      }
      if (seen.get(name)! > 1 || (rule.type === 'integer' && !this.integerParameter.test(value))) {
        broken.add(where);
        byReadingRule = true;
      } else if (!rule.schema(rule.type === 'integer' ? Number(value) : value)) broken.add(where);
    }
    for (const [name, rule] of rules.query) if (rule.required && !seen.has(name)) broken.add(`/query/${name}`);
    const headers = Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    for (const [name, rule] of rules.headers) {
      const value = headers[name];
      if (value === undefined ? rule.required : !rule.schema(value)) broken.add(`/headers/${name}`);
    }
    for (const [name, rule] of rules.path) {
      if (!rule.schema(request.pathValues?.[name] ?? '')) broken.add(`/params/${name}`);
    }
    if (rules.body && request.body !== undefined) {
      const coding = headers['content-encoding'];
      if (coding !== undefined && !this.contentCodings.includes(coding.toLowerCase())) {
        broken.add('/headers/content-encoding');
        byReadingRule = true;
      }
      const charsets = [...(headers['content-type'] ?? '').matchAll(/;\s*charset\s*=\s*"?([^";\s]*)"?/gi)];
      if (charsets.length > 1 || charsets.some(([, charset]) => !this.charsets.includes(charset.toLowerCase()))) {
        broken.add('/headers/content-type');
        byReadingRule = true;
      }
      if (byReadingRule) return { broken: [...broken].sort(), byReadingRule };
    }
    const body = this.judgeBody(rules, request.body);
    for (const where of body.broken) broken.add(where);
    return { broken: [...broken].sort(), byReadingRule: byReadingRule || body.byReadingRule };
  }

  private judgeBody(
    rules: OperationRules,
    body: string | Buffer | undefined,
  ): { broken: string[]; byReadingRule: boolean } {
    const read = (broken: string[]) => ({ broken, byReadingRule: true });
    if (!rules.body) return { broken: [], byReadingRule: false };
    if (body === undefined) return { broken: rules.body.required ? ['/body'] : [], byReadingRule: false };
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(body));
    } catch {
      return read(['/body']);
    }
    let tree: unknown;
    try {
      tree = parseLossless(text);
    } catch {
      return read(['/body']);
    }
    const broken: string[] = [];
    const plain = (value: unknown, where: string): unknown => {
      if (isLosslessNumber(value)) {
        if (!this.jsonNumber.test(value.value)) broken.push(where);
        return Number(value.value);
      }
      if (typeof value === 'string') {
        if (/\p{Cs}/u.test(value)) broken.push(where);
        return value;
      }
      if (Array.isArray(value)) return value.map((item, i) => plain(item, `${where}/${i}`));
      if (value !== null && typeof value === 'object')
        return Object.fromEntries(
          Object.entries(value).map(([key, item]) => {
            const at = `${where}/${escapePointer(key)}`;
            if (/\p{Cs}/u.test(key)) broken.push(at);
            return [key, plain(item, at)];
          }),
        );
      return value;
    };
    const value = plain(tree, '/body');
    if (broken.length > 0) return read(broken);
    const valid = rules.body.schema(value);
    return {
      broken: valid ? [] : IndependentValidator.locations('/body', rules.body.schema.errors),
      byReadingRule: false,
    };
  }
}
