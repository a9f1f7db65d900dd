import fc from 'fast-check';
import type { IndependentValidator, RequestToJudge } from '../../../../gateway/test/support/independent-validator';
import { readingCases } from '../../../../gateway/test/support/reading-cases';
import type { HttpRequest } from '../http';
import {
  edgeNumbers,
  hostileHeaderValues,
  injectionStrings,
  massAssignmentFields,
  rawNumberTexts,
  unicodeStrings,
} from './catalog';
import { passwordBreaksRules } from './oracle';
import { encodeText, fillPath, type Schema, type SpecOperation } from './spec';

/**
 * What a hostile request must get:
 * - reject: a 4xx problem (it breaks the contract);
 * - valid: the contract accepts it, so never a 400 invalid-request, 413 or 415 (a
 *   route's own rule may still refuse it: 401, 403, 404, 409, an invalid transition);
 * - unauthenticated: exactly 401 (a bad token on a protected route);
 * - any: any non-5xx answer.
 */
export type Expectation = 'reject' | 'valid' | 'unauthenticated' | 'any';

export interface HostileCase {
  operationId: string;
  category: string;
  name: string;
  /** Sent with the HTTP client; `raw` cases are bytes written on a socket instead. */
  request?: HttpRequest;
  raw?: Buffer;
  expect: Expectation;
  /** Text the request itself carries, ignored when looking for leaks in the answer. */
  echoes: string[];
  /** True when the independent validator (ajv on the published contract) decided `expect`. */
  judged?: boolean;
  /** For a create: a text field that must come back exactly as sent (trimmed). */
  echo?: { field: string; value: string };
}

export interface HostileContext {
  /** USER access token used for protected routes. */
  userAccess: string;
  /** Access token of a session kept for logout attacks (it may end). */
  logoutAccess: string;
  /** Refresh token of a session kept for refresh attacks (it may be rotated or revoked). */
  refreshForAttacks: string;
  /** Access token of an account whose password changes are attacked (always with a wrong current password). */
  passwordChangeAccess: string;
  passwordChangeUsername: string;
  /** Access token of an account kept for log-out-everywhere attacks (its sessions may end). */
  logoutAllAccess: string;
  /** A username the USER's calls to the ADMIN route name (403). */
  otherUsername: string;
  forged: Array<{ name: string; token: string }>;
  /** The USER's order read by getOrder. */
  ownOrderId: string;
  /** The USER's order hit by status changes and cancels. */
  mutableOrderId: string;
  seed: number;
  /** Fuzzed values per body field, path and query parameter. */
  perField: number;
  /** Built from the published contract: decides which requests the contract accepts. */
  validator: IndependentValidator;
}

/** A fuzzed value as the text of a parameter. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? 'undefined';
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
}

const jsonLeaf = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 20 }));

/** Anything a hostile client might put where one value is expected. */
export function hostileValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom<unknown>(...injectionStrings, ...unicodeStrings) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 300 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 250, maxLength: 400 }) },
    { weight: 3, arbitrary: fc.constantFrom<unknown>(...edgeNumbers) },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.oneof(fc.constant(null), fc.boolean()) },
    { weight: 1, arbitrary: fc.array(jsonLeaf, { maxLength: 5 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), jsonLeaf, { maxKeys: 5 }) },
    { weight: 2, arbitrary: fc.stringMatching(/^[-+ 0-9.eE]{1,15}$/) },
  );
}

/** Values at the edges of a schema: lengths around the limits, wrong case, padding. */
function boundaryValues(schema: Schema, valid: unknown): unknown[] {
  const values: unknown[] = [];
  const text = typeof valid === 'string' ? valid : String(valid);
  if (schema.minLength !== undefined || schema.maxLength !== undefined || schema.pattern) {
    for (const length of [0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 19, 20, 21, 49, 50, 51, 72, 73, 254, 255, 256, 257]) {
      values.push('a'.repeat(length), '9'.repeat(length), '가'.repeat(length), '😀'.repeat(length));
    }
  }
  values.push(
    ` ${text} `,
    `\t${text}\n`,
    `${text}\u0000`,
    `\u200B${text}`,
    text.toLowerCase(),
    text.toUpperCase(),
    `${text}${text}`,
  );
  values.push(text.repeat(40), '', ' ', '   ', '\u00A0', [text], { value: text }, null, true, 0, 1);
  if (schema.enum)
    for (const option of schema.enum)
      values.push(String(option).toLowerCase(), ` ${String(option)}`, `${String(option)}X`);
  return values;
}

function decimalBoundaries(max: string): unknown[] {
  const [whole] = max.split('.');
  return [
    '0',
    '0.00',
    '0.01',
    '0.001',
    '00.10',
    '.5',
    '5.',
    '1e3',
    '1E3',
    '+1',
    '-1',
    ' 1',
    '1 ',
    '1,000',
    '١٢٣',
    'Infinity',
    'NaN',
    max,
    `${whole}.999`,
    `${Number(whole) + 1}`,
    `${whole}0`,
    '0x10',
    '1_000',
    '10.50',
    '10.5',
    '10',
    10,
    10.5,
    10.55,
    10.555,
    0.01,
    0.004,
    Number(max),
    Number(max) + 0.01,
    Number(whole) + 1,
  ];
}

interface Baseline {
  path: Record<string, string>;
  headers: Record<string, string>;
  body?: Record<string, unknown>;
}

const validCreate = {
  productType: 'GOLD_999',
  quantity: '1.25',
  deliveryAddress: '1 Teheran-ro, Gangnam-gu, Seoul',
  recipientName: 'Kim Minji',
  contactNumber: '+82 10-1234-5678',
  postalCode: '06234',
};

class Builder {
  readonly cases: HostileCase[] = [];
  private counter = 0;

  constructor(readonly context: HostileContext) {}

  unique(prefix: string): string {
    this.counter += 1;
    return `${prefix}${this.context.seed.toString(36)}${this.counter.toString(36)}`.slice(0, 20);
  }

  sample<T>(arbitrary: fc.Arbitrary<T>, count: number, salt: number): T[] {
    return fc.sample(arbitrary, { numRuns: count, seed: this.context.seed + salt });
  }

  baseline(operation: SpecOperation): Baseline {
    const c = this.context;
    const headers: Record<string, string> = {};
    if (operation.security === 'access') {
      const own: Record<string, string> = {
        logout: c.logoutAccess,
        logoutAll: c.logoutAllAccess,
        changePassword: c.passwordChangeAccess,
      };
      headers.authorization = `Bearer ${own[operation.operationId] ?? c.userAccess}`;
    } else if (operation.security === 'refresh') {
      headers.authorization = `Bearer ${c.refreshForAttacks}`;
    }
    const path: Record<string, string> = {
      orderId: operation.operationId === 'getOrder' ? c.ownOrderId : c.mutableOrderId,
      productType: 'GOLD_999',
      // No such session: ending it is 404. The ADMIN route with a USER's token is 403.
      sessionId: '01900000-0000-7000-8000-0000000000aa',
      username: c.otherUsername,
    };
    let body: Record<string, unknown> | undefined;
    switch (operation.operationId) {
      case 'register':
        body = { username: this.unique('hz'), password: 'Hostile-pass1' };
        break;
      case 'login':
        body = { username: this.unique('nobody'), password: 'Wrong-pass1' };
        break;
      case 'createPurchaseOrder':
      case 'createSaleOrder':
        body = { ...validCreate };
        break;
      case 'changeOrderStatus':
        body = { status: 'ORDER_COMPLETED' };
        break;
      case 'updateProductPrices':
        body = { purchasePricePerGram: '100000.00', salePricePerGram: '95000.00' };
        break;
      case 'changePassword':
        body = { currentPassword: 'Wrong-pass1', newPassword: 'Hostile-new-pass1' };
        break;
      case 'setAccountStatus':
        body = { status: 'DISABLED' };
        break;
    }
    return { path, headers, body };
  }

  /**
   * What the contract says of a request, by the independent validator: refused, or
   * accepted (and then only a route's own rule may refuse it). A password the contract
   * accepts may still break the account rules beyond it (DESIGN.md): a registration or
   * a new password is then refused.
   */
  decide(operation: SpecOperation, judged: RequestToJudge): Expectation {
    if (this.context.validator.judge(judged).broken.length > 0) return 'reject';
    if (typeof judged.body !== 'string' || !['register', 'login', 'changePassword'].includes(operation.operationId))
      return 'valid';
    const fields = JSON.parse(judged.body.replace(/^\uFEFF/, '')) as Record<string, unknown>;
    switch (operation.operationId) {
      case 'register':
        return passwordBreaksRules(fields.username, fields.password) ? 'reject' : 'valid';
      case 'login':
        // Login refuses what can never match (400) and answers anything else 401.
        return passwordBreaksRules(fields.username, fields.password) ? 'any' : 'valid';
      case 'changePassword':
        // The new password is judged first (400); then the current one like a login.
        if (passwordBreaksRules(this.context.passwordChangeUsername, fields.newPassword)) return 'reject';
        return passwordBreaksRules(this.context.passwordChangeUsername, fields.currentPassword) ? 'any' : 'valid';
      default:
        return 'valid';
    }
  }

  /** Adds a request whose expectation the independent validator decides. */
  addJudged(
    operation: SpecOperation,
    category: string,
    name: string,
    request: HttpRequest,
    judged: { pathValues: Record<string, string>; query?: string },
    extraEchoes: unknown[] = [],
  ): void {
    const headers = Object.fromEntries(
      Object.entries(request.headers ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    const body =
      request.body === undefined || typeof request.body === 'string' || Buffer.isBuffer(request.body)
        ? request.body
        : JSON.stringify(request.body);
    const expect = this.decide(operation, { operationId: operation.operationId, ...judged, headers, body });
    this.add(operation, category, name, expect, request, extraEchoes);
    this.cases[this.cases.length - 1].judged = true;
  }

  add(
    operation: SpecOperation,
    category: string,
    name: string,
    expect: Expectation,
    request: HttpRequest,
    extraEchoes: unknown[] = [],
  ): void {
    const echoes = [
      request.path,
      ...strings(request.body),
      ...strings(request.headers),
      ...strings(extraEchoes),
    ].filter((e) => e.length >= 3);
    this.cases.push({ operationId: operation.operationId, category, name, expect, request, echoes });
  }

  addRaw(operation: SpecOperation, category: string, name: string, expect: Expectation, raw: Buffer): void {
    this.cases.push({
      operationId: operation.operationId,
      category,
      name,
      expect,
      raw,
      echoes: [raw.toString('latin1').slice(0, 2000)],
    });
  }

  request(
    operation: SpecOperation,
    base: Baseline,
    change: Partial<HttpRequest> & { pathValues?: Record<string, string>; rawPath?: boolean; query?: string },
  ): HttpRequest {
    const path = fillPath(operation.path, { ...base.path, ...change.pathValues }, change.rawPath);
    return {
      method: change.method ?? operation.method,
      path: change.path ?? `${path}${change.query ? `?${change.query}` : ''}`,
      headers: change.headers ?? base.headers,
      body: 'body' in change ? change.body : base.body,
      timeoutMs: 10_000,
    };
  }
}

/** Bad bearer tokens and Authorization headers: every protected route answers exactly 401. */
function tokenCases(b: Builder, operation: SpecOperation): void {
  if (operation.security === 'none') return;
  const base = b.baseline(operation);
  const valid = (base.headers.authorization ?? '').replace(/^Bearer /, '');
  const tokens = [...b.context.forged];
  if (operation.security === 'refresh')
    tokens.push({ name: 'access token as refresh token', token: b.context.userAccess });
  else tokens.push({ name: 'refresh token of the attack session', token: b.context.refreshForAttacks });
  for (const { name, token } of tokens) {
    if (operation.security === 'refresh' && name === 'refresh token') continue; // a real refresh token is valid there
    b.add(
      operation,
      'token',
      name,
      'unauthenticated',
      b.request(operation, base, { headers: { ...base.headers, authorization: `Bearer ${token}` } }),
    );
  }
  const malformed = [
    'Bearer',
    'Bearer ',
    `bearer ${valid}`,
    `BEARER ${valid}`,
    `Bearer  ${valid}`,
    `Bearer ${valid} extra`,
    `Bearer\t${valid}`,
    `Basic ${Buffer.from('admin:admin').toString('base64')}`,
    `Token ${valid}`,
    valid,
    `Bearer ${valid},Bearer ${valid}`,
    `Bearer "${valid}"`,
    `Bearer ${valid};`,
    'Bearer null',
    'Bearer undefined',
    'Bearer ' + 'A'.repeat(7000),
    `Bearer ${valid.toUpperCase()}`,
    ...injectionStrings.slice(0, 12).map((s) => `Bearer ${s.replace(/[\r\n]/g, '')}`),
  ];
  for (const header of malformed) {
    b.add(
      operation,
      'token',
      `Authorization: ${header.slice(0, 30)}`,
      'unauthenticated',
      b.request(operation, base, { headers: { ...base.headers, authorization: header } }),
    );
  }
  const { authorization: _, ...withoutToken } = base.headers;
  b.add(
    operation,
    'token',
    'no Authorization header',
    'unauthenticated',
    b.request(operation, base, { headers: withoutToken }),
  );
}

/** Unknown, duplicated, polluting and wrongly typed query parameters. */
function queryCases(b: Builder, operation: SpecOperation, salt: number): void {
  const base = b.baseline(operation);
  const known = new Set(operation.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  const names = b
    .sample(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }), 12, salt)
    .filter((name) => !known.has(name));
  const values = b.sample(hostileValue(), names.length, salt + 1);
  names.forEach((name, i) => {
    const query = `${encodeText(name)}=${encodeText(asText(values[i]))}`;
    b.add(operation, 'query', `unknown parameter ${name}`, 'reject', b.request(operation, base, { query }), [
      name,
      values[i],
    ]);
  });
  for (const query of [
    '__proto__[role]=ADMIN',
    'constructor[prototype][role]=ADMIN',
    '__proto__.role=ADMIN',
    'userId=00000000-0000-7000-8000-000000000001',
    'a=%ZZ',
    '%ZZ=1',
  ]) {
    b.add(operation, 'query', `polluting ${query}`, 'reject', b.request(operation, base, { query }));
  }
  for (const parameter of operation.parameters.filter((p) => p.in === 'query')) {
    const fuzzed = [
      ...b.sample(hostileValue(), b.context.perField, salt + parameter.name.length).map(asText),
      ...boundaryValues(parameter.schema, parameter.schema.default ?? 'x').map(asText),
      ...[
        '-1',
        '0',
        '1',
        '100',
        '101',
        '1000000',
        '1000001',
        '1e2',
        '1.5',
        '0x10',
        '2026-02-30',
        '2026-02-28',
        '2026-13-01',
        '9999-12-31',
        '0000-01-01',
        '20260101',
        '2026-1-1',
        'PURCHASE',
        'purchase',
        'PENDING',
        'CANCELLED',
        'pending',
      ],
    ];
    for (const value of fuzzed) {
      const query = `${parameter.name}=${encodeText(value)}`;
      b.addJudged(
        operation,
        'query',
        `${parameter.name}=${value.slice(0, 20)}`,
        b.request(operation, base, { query }),
        { pathValues: base.path, query },
        [value],
      );
    }
    b.add(
      operation,
      'query',
      `${parameter.name} twice`,
      'reject',
      b.request(operation, base, { query: `${parameter.name}=1&${parameter.name}=2` }),
    );
    b.add(
      operation,
      'query',
      `${parameter.name}[] array`,
      'reject',
      b.request(operation, base, { query: `${parameter.name}[]=1&${parameter.name}[]=2` }),
    );
    b.add(
      operation,
      'query',
      `${parameter.name}[a]=b object`,
      'reject',
      b.request(operation, base, { query: `${parameter.name}[a]=b` }),
    );
  }
}

/** Hostile path parameters: malformed ids, encodings, traversal, injection. */
function pathCases(b: Builder, operation: SpecOperation, salt: number): void {
  const base = b.baseline(operation);
  for (const parameter of operation.parameters.filter((p) => p.in === 'path')) {
    const fuzzed = [
      ...b.sample(hostileValue(), b.context.perField, salt).map(asText),
      ...boundaryValues(parameter.schema, base.path[parameter.name]).map(asText),
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      '01900000-0000-7000-8000-000000000000',
      base.path[parameter.name].toUpperCase(),
      `{${base.path[parameter.name]}}`,
      `urn:uuid:${base.path[parameter.name]}`,
    ].filter((value) => value !== '' && value !== base.path[parameter.name]);
    for (const value of fuzzed) {
      // Judged by the schema like query values: `format: uuid` takes upper case too (RFC 9562).
      b.addJudged(
        operation,
        'path',
        `${parameter.name}=${value.slice(0, 20)}`,
        b.request(operation, base, { pathValues: { [parameter.name]: value } }),
        { pathValues: { ...base.path, [parameter.name]: value } },
        [value],
      );
    }
    for (const raw of [
      '..',
      '%2e%2e',
      '..%2f..%2fetc%2fpasswd',
      '%00',
      '%ZZ',
      '%',
      '%E0%A4%A',
      '%C0%AF',
      '%ED%A0%80',
      ';',
      'a;b=c',
      '*',
      '%2F',
      '..%5c..%5c',
    ]) {
      b.add(
        operation,
        'path',
        `raw ${parameter.name}=${raw}`,
        'reject',
        b.request(operation, base, { pathValues: { [parameter.name]: raw }, rawPath: true }),
      );
    }
  }
}

/** Request ids, idempotency keys, content types and Accept values. */
function headerCases(b: Builder, operation: SpecOperation, salt: number): void {
  const base = b.baseline(operation);
  const ids = [...hostileHeaderValues, ...b.sample(fc.string({ unit: 'grapheme-ascii', maxLength: 200 }), 6, salt)];
  for (const value of ids) {
    b.add(
      operation,
      'header',
      `X-Request-Id ${value.slice(0, 20)}`,
      'any',
      b.request(operation, base, { headers: { ...base.headers, 'x-request-id': value } }),
    );
  }
  for (const accept of ['application/xml', 'text/html', '*/*', 'application/problem+json', 'image/png;q=0.1', ';;;']) {
    b.add(
      operation,
      'header',
      `Accept ${accept}`,
      'any',
      b.request(operation, base, { headers: { ...base.headers, accept } }),
    );
  }
  b.add(
    operation,
    'header',
    'Origin of another site',
    'any',
    b.request(operation, base, { headers: { ...base.headers, origin: 'https://evil.example' } }),
  );
  if (operation.parameters.some((p) => p.name === 'Idempotency-Key')) {
    const keys = [
      '',
      ' ',
      'a b',
      'ключ',
      '\u00ff',
      'x'.repeat(256),
      'x'.repeat(1000),
      'key\u0001',
      ...b.sample(fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }), 8, salt + 1),
    ];
    for (const key of keys) {
      const latin1 = /^[\t\x20-\x7e\x80-\xff]*$/.test(key);
      if (!latin1) continue; // not representable in a header; the raw cases cover such bytes
      const expect: Expectation = /^[\x21-\x7E]{1,255}$/.test(key) ? 'any' : 'reject';
      b.add(
        operation,
        'header',
        `Idempotency-Key ${JSON.stringify(key.slice(0, 12))}`,
        expect,
        b.request(operation, base, { headers: { ...base.headers, 'idempotency-key': key } }),
      );
    }
  }
  if (operation.body) {
    const json = JSON.stringify(base.body);
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/jsonx',
      'application/json-patch+json',
      'text/json',
      'application/javascript',
    ]) {
      b.add(
        operation,
        'header',
        `Content-Type ${type}`,
        'reject',
        b.request(operation, base, { headers: { ...base.headers, 'content-type': type }, body: json }),
      );
    }
    for (const type of [
      'application/json; charset=utf-16',
      'application/json; charset=koi8-r',
      'application/json; charset=nonsense',
    ]) {
      b.add(
        operation,
        'header',
        `Content-Type ${type}`,
        'reject',
        b.request(operation, base, { headers: { ...base.headers, 'content-type': type }, body: json }),
      );
    }
    b.add(
      operation,
      'header',
      'no Content-Type',
      'reject',
      b.request(operation, base, { headers: { ...base.headers, 'content-type': '' }, body: json }),
    );
  }
}

/** One field at a time: hostile values, boundaries, raw number texts. */
function bodyFieldCases(b: Builder, operation: SpecOperation, salt: number): void {
  if (!operation.body?.properties) return;
  for (const [field, schema] of Object.entries(operation.body.properties)) {
    const base = b.baseline(operation);
    const validValue = base.body?.[field];
    const values = [
      ...b.sample(hostileValue(), b.context.perField, salt + field.length * 31),
      ...boundaryValues(schema, validValue),
      ...(field.toLowerCase().includes('price') ? decimalBoundaries('99999999.99') : []),
      ...(field === 'quantity' ? decimalBoundaries('9999999.99') : []),
    ];
    for (const value of values) {
      const fresh = b.baseline(operation);
      const body = { ...fresh.body, [field]: value };
      b.addJudged(
        operation,
        'body-field',
        `${field}=${JSON.stringify(value)?.slice(0, 24)}`,
        b.request(operation, fresh, { body }),
        { pathValues: fresh.path },
      );
    }
    for (const text of rawNumberTexts) {
      const fresh = b.baseline(operation);
      // Refresh's baseline sends its token in the header: its body is this one field.
      const json = JSON.stringify({ ...fresh.body, [field]: 'RAW-NUMBER' }).replace('"RAW-NUMBER"', text);
      b.addJudged(
        operation,
        'body-field',
        `${field}=${text} (raw number)`,
        b.request(operation, fresh, { headers: { ...fresh.headers, 'content-type': 'application/json' }, body: json }),
        { pathValues: fresh.path },
      );
    }
  }
}

/** The shape of the body: missing and extra fields, duplicates, nesting, size, encoding. */
function bodyStructureCases(b: Builder, operation: SpecOperation): void {
  const withJson = (base: Baseline) => ({ ...base.headers, 'content-type': 'application/json' });
  const base = b.baseline(operation);
  if (!operation.body) {
    if (operation.method === 'GET') return;
    b.add(
      operation,
      'body-structure',
      'unexpected JSON body',
      'any',
      b.request(operation, base, { body: { role: 'ADMIN', ...massAssignmentFields } }),
    );
    b.add(
      operation,
      'body-structure',
      'unexpected huge body',
      'any',
      b.request(operation, base, { headers: withJson(base), body: `{"a":"${'x'.repeat(40_000)}"}` }),
    );
    return;
  }
  const body = base.body ?? {};
  for (const field of operation.body.required ?? []) {
    const fresh = b.baseline(operation);
    const { [field]: _, ...rest } = fresh.body ?? {};
    b.add(operation, 'body-structure', `missing ${field}`, 'reject', b.request(operation, fresh, { body: rest }));
  }
  for (const [field, value] of Object.entries(massAssignmentFields)) {
    const fresh = b.baseline(operation);
    b.add(
      operation,
      'body-structure',
      `extra field ${field}`,
      'reject',
      b.request(operation, fresh, { body: { ...fresh.body, [field]: value } }),
    );
  }
  for (const field of Object.keys(body)) {
    const fresh = b.baseline(operation);
    const others = JSON.stringify(fresh.body ?? {}).slice(1, -1);
    const lastHostile = `{${others},"${field}":{"$gt":""}}`;
    b.add(
      operation,
      'body-structure',
      `duplicate ${field}, hostile last`,
      'reject',
      b.request(operation, fresh, { headers: withJson(fresh), body: lastHostile }),
    );
    const lastNull = `{${others},"${field}":null}`;
    b.add(
      operation,
      'body-structure',
      `duplicate ${field}, null last`,
      'reject',
      b.request(operation, fresh, { headers: withJson(fresh), body: lastNull }),
    );
  }
  const prototypes = ['{"__proto__":{"role":"ADMIN"}}', '{"constructor":{"prototype":{"role":"ADMIN"}}}'];
  for (const pollution of prototypes) {
    const fresh = b.baseline(operation);
    const json = `${JSON.stringify(fresh.body ?? {}).slice(0, -1)},${pollution.slice(1)}`;
    b.add(
      operation,
      'body-structure',
      `prototype pollution ${pollution.slice(2, 14)}`,
      'reject',
      b.request(operation, fresh, { headers: withJson(fresh), body: json }),
    );
  }
  const shapes: Array<[string, string | Buffer, Expectation]> = [
    ['null', 'null', 'reject'],
    ['number', '1', 'reject'],
    ['string', '"x"', 'reject'],
    ['true', 'true', 'reject'],
    ['empty array', '[]', 'reject'],
    ['array of the body', `[${JSON.stringify(body)}]`, 'reject'],
    ['empty object', '{}', 'reject'],
    ['empty text', '', 'reject'],
    ['not JSON', 'hello', 'reject'],
    ['truncated JSON', JSON.stringify(body).slice(0, -3), 'reject'],
    ['single quotes', "{'a':1}", 'reject'],
    ['trailing garbage', `${JSON.stringify(body)} trailing`, 'reject'],
    ['two documents', `${JSON.stringify(body)}${JSON.stringify(body)}`, 'reject'],
    ['comment', `/* c */${JSON.stringify(body)}`, 'reject'],
    ['NaN literal', '{"a":NaN}', 'reject'],
    ['Infinity literal', '{"a":Infinity}', 'reject'],
    ['deep array', `${'['.repeat(5000)}${']'.repeat(5000)}`, 'reject'],
    ['deep object', `${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}`, 'reject'],
    [
      'deep value in a field',
      `${JSON.stringify(body).slice(0, -1)},"deep":${'['.repeat(4000)}${']'.repeat(4000)}}`,
      'reject',
    ],
    ['huge body 20 KiB', `{"a":"${'x'.repeat(20 * 1024)}"}`, 'reject'],
    ['huge body 1 MiB', `{"a":"${'x'.repeat(1024 * 1024)}"}`, 'reject'],
    ['many keys', `{${Array.from({ length: 1500 }, (_, i) => `"k${i}":1`).join(',')}}`, 'reject'],
    ['BOM then JSON', `\uFEFF${JSON.stringify(body)}`, 'any'],
    [
      'invalid UTF-8 C3 28',
      Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
      'reject',
    ],
    [
      'invalid UTF-8 FF FE',
      Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
      'reject',
    ],
    [
      'lone surrogate as UTF-8 bytes',
      Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
      'reject',
    ],
    ['overlong slash', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), 'reject'],
    ['UTF-16 body', Buffer.from(JSON.stringify(body), 'utf16le'), 'reject'],
    ['NUL bytes', Buffer.from([0, 0, 0, 0]), 'reject'],
  ];
  for (const [name, text, expect] of shapes) {
    const fresh = b.baseline(operation);
    b.add(
      operation,
      'body-structure',
      name,
      expect,
      b.request(operation, fresh, { headers: withJson(fresh), body: text }),
    );
  }
  // Invalid UTF-8 and escaped lone surrogates inside each real field.
  for (const field of Object.keys(body)) {
    for (const bytes of [[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]]) {
      const fresh = b.baseline(operation);
      const json = JSON.stringify({ ...fresh.body, [field]: 'MARK' });
      const [before, after] = json.split('MARK');
      b.add(
        operation,
        'body-structure',
        `invalid UTF-8 in ${field}`,
        'any',
        b.request(operation, fresh, {
          headers: withJson(fresh),
          body: Buffer.concat([
            Buffer.from(before),
            Buffer.from(`${String(fresh.body?.[field]).slice(0, 3)}`),
            Buffer.from(bytes),
            Buffer.from(after),
          ]),
        }),
      );
    }
    for (const escape of ['\\ud800', '\\udfff', '\\u0000', '\\u202e', '\\u200b']) {
      const fresh = b.baseline(operation);
      const json = JSON.stringify({ ...fresh.body, [field]: 'MARK' }).replace(
        'MARK',
        `${String(fresh.body?.[field]).slice(0, 4)}${escape}`,
      );
      b.addJudged(
        operation,
        'body-structure',
        `escaped ${escape} in ${field}`,
        b.request(operation, fresh, { headers: withJson(fresh), body: json }),
        { pathValues: fresh.path },
      );
    }
  }
}

/** Methods the route does not have. */
function methodCases(b: Builder, operation: SpecOperation, others: Set<string>): void {
  const base = b.baseline(operation);
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE']) {
    if (others.has(method) || method === operation.method) continue;
    b.add(operation, 'method', `${method} ${operation.path}`, 'reject', b.request(operation, base, { method }));
  }
}

/** Requests no ordinary client sends, written byte by byte. */
function rawCases(b: Builder, operation: SpecOperation): void {
  const base = b.baseline(operation);
  const path = fillPath(operation.path, base.path);
  const auth = base.headers.authorization ? `Authorization: ${base.headers.authorization}\r\n` : '';
  const body = base.body ? JSON.stringify(base.body) : '';
  const head = (extra: string) =>
    `${operation.method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${auth}${extra}`;
  const requests: Array<[string, Buffer]> = [
    ['NUL in a header value', Buffer.from(`${head('X-Request-Id: a\u0000b\r\n')}\r\n`, 'latin1')],
    [
      'non-ASCII bytes in Authorization',
      Buffer.from(
        `${operation.method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer \u00ff\u00fe\r\n\r\n`,
        'latin1',
      ),
    ],
    [
      'UTF-8 bytes in X-Request-Id',
      Buffer.concat([Buffer.from(head('X-Request-Id: '), 'latin1'), Buffer.from('요청\r\n\r\n', 'utf8')]),
    ],
    ['header too large', Buffer.from(`${head(`X-Big: ${'a'.repeat(20_000)}\r\n`)}\r\n`, 'latin1')],
    [
      'URL too long',
      Buffer.from(
        `${operation.method} ${path}?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        'latin1',
      ),
    ],
    [
      'Content-Length and Transfer-Encoding',
      Buffer.from(
        `${head(`Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n`)}\r\n0\r\n\r\n`,
        'latin1',
      ),
    ],
    [
      'negative Content-Length',
      Buffer.from(`${head('Content-Type: application/json\r\nContent-Length: -1\r\n')}\r\n${body}`, 'latin1'),
    ],
    [
      'two Content-Lengths',
      Buffer.from(
        `${head(`Content-Type: application/json\r\nContent-Length: ${body.length}\r\nContent-Length: 1\r\n`)}\r\n${body}`,
        'latin1',
      ),
    ],
    ['HTTP/9.9', Buffer.from(`${operation.method} ${path} HTTP/9.9\r\nHost: x\r\n\r\n`, 'latin1')],
    [
      'absolute URI of another host',
      Buffer.from(
        `${operation.method} http://169.254.169.254${path} HTTP/1.1\r\nHost: 169.254.169.254\r\nConnection: close\r\n${auth}\r\n`,
        'latin1',
      ),
    ],
    ['space in header name', Buffer.from(`${head('X Bad: 1\r\n')}\r\n`, 'latin1')],
  ];
  for (const [name, raw] of requests) b.addRaw(operation, 'raw', name, 'any', raw);
}

/** Every hostile case for every operation of the contract, deterministic for a seed. */
export function generateHostileCases(
  operations: SpecOperation[],
  spec: Record<string, unknown>,
  context: HostileContext,
): HostileCase[] {
  const b = new Builder(context);
  const methodsByPath = new Map<string, Set<string>>();
  for (const operation of operations) {
    methodsByPath.set(operation.path, (methodsByPath.get(operation.path) ?? new Set()).add(operation.method));
  }
  operations.forEach((operation, index) => {
    const salt = index * 1000;
    tokenCases(b, operation);
    queryCases(b, operation, salt + 100);
    pathCases(b, operation, salt + 200);
    headerCases(b, operation, salt + 300);
    bodyFieldCases(b, operation, salt + 400);
    bodyStructureCases(b, operation);
    methodCases(b, operation, methodsByPath.get(operation.path) ?? new Set());
    rawCases(b, operation);
  });
  readingClassCases(b, operations, spec);
  return b.cases;
}

/**
 * The classes that attack how a request is read (content codings, charsets and framing;
 * numbers in every spelling; unusual Unicode in every text field; repeated parameters),
 * generated from the published contract by the generator the gateway's own tests run on
 * SQLite and MariaDB, each judged by the independent validator.
 */
function readingClassCases(b: Builder, operations: SpecOperation[], spec: Record<string, unknown>): void {
  const byId = new Map(operations.map((operation) => [operation.operationId, operation]));
  const generated = readingCases(spec, (operationId) => {
    const base = b.baseline(byId.get(operationId)!);
    // Refresh's token travels in the body here, so that its text is attacked too.
    const body = operationId === 'refresh' ? { refreshToken: b.context.refreshForAttacks } : base.body;
    return { pathValues: base.path, headers: base.headers, body };
  });
  for (const hostile of generated) {
    const operation = byId.get(hostile.operationId)!;
    const echoes = [hostile.path, ...Object.values(hostile.headers).flat(), String(hostile.body ?? '')].filter(
      (echo) => echo.length >= 3,
    );
    const request: HttpRequest = {
      method: hostile.method,
      path: hostile.path,
      headers: hostile.headers,
      body: hostile.body,
      timeoutMs: 10_000,
    };
    const expect: Expectation = hostile.judged
      ? b.decide(operation, hostile.judged)
      : hostile.refuse
        ? 'reject'
        : 'any';
    b.cases.push({
      operationId: hostile.operationId,
      category: hostile.category,
      name: hostile.name,
      expect,
      ...(hostile.raw ? { raw: hostile.raw } : { request }),
      echoes,
      judged: hostile.judged !== undefined,
      echo: hostile.echo,
    });
  }
}
