import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { IndependentValidator, RequestToJudge } from './independent-validator';

type Json = Record<string, unknown>;

/** A hostile request of one of the reading classes, as sent on the wire. */
export interface ReadingCase {
  operationId: string;
  /** body-encoding, number-spelling, unicode or repeated-parameter. */
  category: string;
  name: string;
  method: string;
  /** The path with its query string. */
  path: string;
  headers: Record<string, string | string[]>;
  /** The body's exact bytes (a string is UTF-8). */
  body?: string | Buffer;
  /** Bytes written on a socket instead (framing no HTTP client writes). */
  raw?: Buffer;
  /** What the independent validator needs to judge it; absent where it states nothing (framing, repeated headers). */
  judged?: RequestToJudge;
  /** Not judged, but must be refused with a 4xx (a repeated header the API reads as one value). */
  refuse?: boolean;
  /** For a create: a text field whose value must come back exactly as sent (trimmed). */
  echo?: { field: string; value: string };
}

/** What a valid request of an operation looks like in the caller's system. */
export interface Baseline {
  pathValues: Record<string, string>;
  headers: Record<string, string>;
  body?: Json;
}

interface OperationShape {
  operationId: string;
  method: string;
  template: string;
  query: Array<{ name: string; schema: Json }>;
  headerParameters: string[];
  /** Every request must carry a bearer token (no anonymous alternative). */
  secured: boolean;
  bodyFields: Array<{ name: string; schema: Json }>;
}

/** Numbers as a client might spell them in JSON text (some are not JSON at all). */
export const jsonNumberSpellings = [
  '10',
  '10.5',
  '10.50',
  '0.01',
  '10.500',
  '10.5000000000000000001',
  '1e1',
  '1E1',
  '1e+1',
  '1e-1',
  '1.0e1',
  '100e-2',
  '0e0',
  '-1',
  '-0',
  '-0.0',
  '+1',
  '0x10',
  '.5',
  '5.',
  '01',
  '00.5',
  'Infinity',
  '-Infinity',
  'NaN',
  '1_000',
  '0.0099999999999999999',
  '9999999.99',
  '9999999.990',
  '9999999.995',
  '10000000',
  '99999999.99',
  '100000000',
  '123456789012345678901234567890',
  '1e400',
  '-1e400',
  '1e-400',
  '9007199254740993',
  '"10.5"',
  '"10.500"',
  '"1e1"',
  '"-1"',
  '"+1"',
  '" 10"',
  '"10 "',
  '"0x10"',
  '"١٠"',
  '"１０"',
];

/** Integer query parameter texts, percent-encoded as they would travel. */
export const integerSpellings = [
  '10',
  '1',
  '0',
  '100',
  '010',
  '1e1',
  '1E1',
  '0x10',
  '0o7',
  '0b1',
  '%2B5',
  '+5',
  '-0',
  '-1',
  '%205',
  '5%20',
  '%095',
  '5%0A',
  'Infinity',
  '-Infinity',
  'NaN',
  '1.0',
  '2.',
  '.5',
  '1_0',
  '1%2C0',
  '9007199254740993',
  '1e21',
  '1e400',
  '%EF%BC%95',
  '%D9%A5',
  '%E0%A5%AB',
  '',
  '%20',
  'null',
  'true',
  '[]',
  '%00',
];

/** Text as JSON string contents (escapes kept, so unpaired surrogates can be sent). */
export const unicodeTexts: Array<[string, string]> = [
  ['unpaired high surrogate', 'Kim\\ud800Minji'],
  ['unpaired low surrogate', 'Kim\\udfffMinji'],
  ['reversed surrogate pair', 'Kim\\ude00\\ud83dMinji'],
  ['lone surrogate at the end', 'Kim Minji\\ud83d'],
  ['NUL', 'Kim\\u0000Minji'],
  ['bell', 'Kim\\u0007Minji'],
  ['escape sequence', '\\u001b[31mKim'],
  ['DEL', 'Kim\\u007fMinji'],
  ['C1 NEL', 'Kim\\u0085Minji'],
  ['C1 CSI', 'Kim\\u009bMinji'],
  ['line feed inside', 'Kim\\nMinji'],
  ['tab inside', 'Kim\\tMinji'],
  ['line separator', 'Kim\\u2028Minji'],
  ['paragraph separator', 'Kim\\u2029Minji'],
  ['left-to-right embedding', 'Kim\\u202aMinji'],
  ['right-to-left embedding', 'Kim\\u202bMinji'],
  ['pop directional formatting', 'Kim\\u202cMinji'],
  ['left-to-right override', 'Kim\\u202dMinji'],
  ['right-to-left override', 'Kim\\u202eijniM'],
  ['left-to-right isolate', 'Kim\\u2066Minji'],
  ['right-to-left isolate', 'Kim\\u2067Minji'],
  ['first-strong isolate', 'Kim\\u2068Minji'],
  ['pop directional isolate', 'Kim\\u2069Minji'],
  ['left-to-right mark', 'Kim\\u200eMinji'],
  ['right-to-left mark', 'Kim\\u200fMinji'],
  ['Arabic letter mark', 'Kim\\u061cMinji'],
  ['zero-width joiner emoji', '\\ud83d\\udc68\\u200d\\ud83d\\udc69\\u200d\\ud83d\\udc67 Family'],
  ['zero-width non-joiner', 'می\\u200cخواهم'],
  ['byte order mark inside', 'Kim\\ufeffMinji'],
  ['noncharacter', 'Kim\\uffffMinji'],
  ['tag characters', 'Kim\\udb40\\udc01\\udb40\\udc41'],
  ['combining marks', 'e\\u0301\\u0301\\u0301\\u0301'],
  ['astral emoji', 'Kim \\ud83d\\ude00'],
  ['Hangul', '김민지'],
  ['Arabic', 'محمد علي'],
  ['full-width', 'ＫＩＭ'],
  ['no-break spaces only', '\\u00a0\\u00a0'],
  ['ideographic spaces around', '\\u3000Kim\\u3000'],
  ['surrounding spaces', '  Kim Minji  '],
];

const bodyCodings = [
  'gzip',
  'x-gzip',
  'deflate',
  'br',
  'compress',
  'zstd',
  'GZIP',
  'gzip, identity',
  'identity, gzip',
  'bogus',
  'identity',
  'IDENTITY',
];
const charsets = [
  'utf-8',
  'UTF-8',
  '"utf-8"',
  'utf8',
  'latin1',
  'iso-8859-1',
  'utf-16',
  'utf-16le',
  'us-ascii',
  'bogus',
  'utf-8; charset=latin1',
  'latin1; charset=utf-8',
];

function follow(spec: Json, node: unknown): Json {
  let current = node as Json;
  while (typeof current?.$ref === 'string') {
    current = current.$ref
      .slice(2)
      .split('/')
      .reduce<Json>((at, key) => at[key.replace(/~1/g, '/').replace(/~0/g, '~')] as Json, spec);
  }
  return current;
}

function shapes(spec: Json): OperationShape[] {
  const found: OperationShape[] = [];
  for (const [template, rawItem] of Object.entries(spec.paths as Record<string, Json>)) {
    const item = follow(spec, rawItem);
    for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
      const operation = item[method] as Json | undefined;
      if (!operation) continue;
      const parameters = [
        ...((item.parameters as unknown[]) ?? []),
        ...((operation.parameters as unknown[]) ?? []),
      ].map((p) => follow(spec, p));
      const body = follow(spec, operation.requestBody) as
        { content?: Record<string, { schema?: unknown }> } | undefined;
      const bodySchema = body?.content?.['application/json']?.schema;
      const properties = bodySchema ? ((follow(spec, bodySchema).properties as Record<string, unknown>) ?? {}) : {};
      found.push({
        operationId: String(operation.operationId),
        method: method.toUpperCase(),
        template,
        query: parameters
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: String(p.name), schema: follow(spec, p.schema) })),
        headerParameters: parameters.filter((p) => p.in === 'header').map((p) => String(p.name)),
        secured:
          Array.isArray(operation.security) &&
          operation.security.length > 0 &&
          (operation.security as Json[]).every((requirement) => Object.keys(requirement).length > 0),
        bodyFields: Object.entries(properties).map(([name, schema]) => ({ name, schema: follow(spec, schema) })),
      });
    }
  }
  return found;
}

/** A JSON text of `body` with `field` written as `valueText`. */
function withField(body: Json, field: string, valueText: string): string {
  return JSON.stringify({ ...body, [field]: 'MARK\u0000' }).replace('"MARK\\u0000"', valueText);
}

/**
 * The hostile requests of the classes that attack how a request is read, for every
 * operation of the published contract: headers that change how a body is read (content
 * codings, charsets, framing), numbers in every spelling (JSON body numbers and integer
 * query parameters), unusual and malformed Unicode in every text field, and repeated
 * parameters. Each is judged by the independent validator (except framing, which only
 * must never be a 5xx).
 */
export function readingCases(spec: Json, baseline: (operationId: string) => Baseline): ReadingCase[] {
  const cases: ReadingCase[] = [];
  for (const shape of shapes(spec)) {
    const add = (
      category: string,
      name: string,
      change: {
        query?: string;
        headers?: Record<string, string | string[]>;
        body?: string | Buffer;
        echo?: ReadingCase['echo'];
        /** false: a header twice, which only the wire shows: must be refused, not judged. */
        judged?: false;
      },
    ) => {
      const base = baseline(shape.operationId);
      const path = shape.template.replace(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(base.pathValues[key]));
      const headers = { ...base.headers, ...change.headers };
      const body = 'body' in change ? change.body : base.body === undefined ? undefined : JSON.stringify(base.body);
      if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
        headers['Content-Type'] = 'application/json';
      const single = Object.fromEntries(
        Object.entries(headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      );
      cases.push({
        operationId: shape.operationId,
        category,
        name,
        method: shape.method,
        path: change.query ? `${path}?${change.query}` : path,
        headers,
        body,
        echo: change.echo,
        refuse: change.judged === false ? true : undefined,
        judged:
          change.judged === false
            ? undefined
            : {
                operationId: shape.operationId,
                pathValues: base.pathValues,
                query: change.query,
                headers: single,
                body,
              },
      });
    };
    const base = baseline(shape.operationId);
    const authorization = Object.entries(base.headers).find(([name]) => name.toLowerCase() === 'authorization');

    // Headers that change how a body is read.
    if (base.body !== undefined) {
      const text = JSON.stringify(base.body);
      for (const coding of bodyCodings) {
        add('body-encoding', `Content-Encoding: ${coding}, plain body`, { headers: { 'Content-Encoding': coding } });
      }
      add('body-encoding', 'Content-Encoding: gzip, gzipped body', {
        headers: { 'Content-Encoding': 'gzip' },
        body: gzipSync(text),
      });
      add('body-encoding', 'Content-Encoding: br, brotli body', {
        headers: { 'Content-Encoding': 'br' },
        body: brotliCompressSync(text),
      });
      add('body-encoding', 'gzipped body, no Content-Encoding', { body: gzipSync(text) });
      for (const charset of charsets) {
        add('body-encoding', `charset=${charset}`, {
          headers: { 'Content-Type': `application/json; charset=${charset}` },
        });
      }
      add('body-encoding', 'UTF-16 body declared as such', {
        headers: { 'Content-Type': 'application/json; charset=utf-16le' },
        body: Buffer.from(text, 'utf16le'),
      });
      add('body-encoding', 'UTF-16 body, no charset', { body: Buffer.from(text, 'utf16le') });
      add('body-encoding', 'Latin-1 bytes', { body: Buffer.from(text.replace('}', ',"x":"caf\u00e9"}'), 'latin1') });
      add('body-encoding', 'byte order mark first', { body: `\ufeff${text}` });
      add('body-encoding', 'two Content-Types', {
        headers: { 'Content-Type': ['application/json', 'text/plain'] },
        judged: false,
      });
      for (const framing of ['gzip, chunked', 'chunked, gzip', 'identity', 'CHUNKED', 'chunked, chunked', 'deflate']) {
        const chunked = /chunked/i.test(framing);
        const auth = authorization ? `Authorization: ${authorization[1]}\r\n` : '';
        const path = shape.template.replace(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(base.pathValues[key]));
        cases.push({
          operationId: shape.operationId,
          category: 'body-encoding',
          name: `Transfer-Encoding: ${framing}`,
          method: shape.method,
          path,
          headers: {},
          raw: Buffer.from(
            `${shape.method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${auth}` +
              `Content-Type: application/json\r\nTransfer-Encoding: ${framing}\r\n\r\n` +
              (chunked ? `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n` : text),
          ),
        });
      }
    }

    // Numbers in every spelling: JSON body numbers, then integer query parameters.
    for (const field of shape.bodyFields) {
      const numeric = JSON.stringify(field.schema).includes('"number"');
      if (!numeric || !base.body) continue;
      for (const spelling of jsonNumberSpellings) {
        add('number-spelling', `${field.name}=${spelling}`, { body: withField(base.body, field.name, spelling) });
      }
    }
    for (const parameter of shape.query.filter((p) => p.schema.type === 'integer')) {
      for (const spelling of integerSpellings)
        add('number-spelling', `${parameter.name}=${spelling}`, { query: `${parameter.name}=${spelling}` });
    }

    // Unusual and malformed Unicode in every text field.
    for (const field of shape.bodyFields) {
      if (!base.body || JSON.stringify(field.schema).includes('"number"') || Array.isArray(field.schema.enum)) continue;
      for (const [name, escaped] of unicodeTexts) {
        // A password also meets the account rules beyond the contract (8 characters after NFC, not a common one).
        const text = field.name.toLowerCase().includes('password') ? `gold-${escaped}-2026` : escaped;
        const body = withField(base.body, field.name, `"${text}"`);
        const value = (JSON.parse(body) as Record<string, string>)[field.name];
        const echo = shape.operationId.startsWith('create') ? { field: field.name, value } : undefined;
        add('unicode', `${field.name}: ${name}`, { body, echo });
      }
      add('unicode', `${field.name}: unpaired surrogate in a member name`, {
        body: withField(base.body, `${field.name}\\ud800`, '"x"').replace(
          `"${field.name}\\\\ud800"`,
          `"${field.name}\\ud800"`,
        ),
      });
    }

    // Repeated parameters.
    for (const parameter of shape.query) {
      const value =
        parameter.schema.type === 'integer'
          ? '1'
          : String((parameter.schema.enum as string[] | undefined)?.[0] ?? '2026-01-31');
      add('repeated-parameter', `${parameter.name} twice, same value`, {
        query: `${parameter.name}=${value}&${parameter.name}=${value}`,
      });
      add('repeated-parameter', `${parameter.name} three times`, {
        query: [1, 2, 3].map(() => `${parameter.name}=${value}`).join('&'),
      });
    }
    for (const name of shape.headerParameters) {
      add('repeated-parameter', `${name} twice`, { headers: { [name]: ['key-a', 'key-b'] }, judged: false });
    }
    if (shape.secured && authorization) {
      add('repeated-parameter', 'Authorization twice', {
        headers: { [authorization[0]]: [authorization[1], authorization[1]] },
        judged: false,
      });
    }
    add('repeated-parameter', 'unknown parameter twice', { query: 'bogus=1&bogus=1' });
  }
  return cases;
}

/** The verdict on one answer: what is wrong with it, and whether the independent validator decided it. */
export function judgeReadingCase(
  validator: IndependentValidator,
  hostile: ReadingCase,
  answer: { status: number; json: unknown } | undefined,
): { problems: string[]; judged: boolean; agreed: boolean } {
  if (!answer) {
    // A connection closed without an answer is acceptable only for broken framing.
    const problems = hostile.raw ? [] : ['no answer'];
    return { problems, judged: false, agreed: false };
  }
  const problems: string[] = [];
  const { status } = answer;
  const type = (answer.json as { type?: string } | undefined)?.type;
  if (status >= 500) problems.push(`status ${status}`);
  if (hostile.refuse && (status < 400 || status >= 500)) problems.push(`accepted (${status}) a header given twice`);
  let agreed = false;
  if (hostile.judged) {
    const { broken } = validator.judge(hostile.judged);
    agreed =
      broken.length > 0
        ? status >= 400 && status < 500
        : status < 500 && status !== 400 && status !== 415 && status !== 413;
    if (!agreed)
      problems.push(
        broken.length > 0
          ? `accepted (${status}) what the contract refuses at ${broken.join(', ')}`
          : `refused (${status} ${type ?? ''}) what the contract accepts`,
      );
  }
  if (hostile.echo && status === 201) {
    const sent = hostile.echo.value.trim();
    const stored = (answer.json as Record<string, unknown>)[hostile.echo.field];
    if (stored !== sent) problems.push(`${hostile.echo.field} came back altered: ${JSON.stringify(stored)}`);
  }
  if (status >= 400 && !(typeof type === 'string' && type.startsWith('https://aletheia.gold/problems/')))
    problems.push(`error without problem details (${status})`);
  for (const error of (answer.json as { errors?: Array<{ message?: unknown }> } | undefined)?.errors ?? []) {
    // A field error says its rule in words: no regular expression, no JSON Schema jargon.
    if (typeof error.message !== 'string' || /must match|pattern|\^|\$|\\|\(\?|NOT have|oneOf/.test(error.message))
      problems.push(`field error not in words: ${String(error.message)}`);
  }
  return { problems, judged: hostile.judged !== undefined, agreed };
}
