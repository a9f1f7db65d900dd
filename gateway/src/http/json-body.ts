import express, { type Request, type RequestHandler } from 'express';
import { isLosslessNumber, parse, parseLosslessNumber } from 'lossless-json';
import { ProblemError, type ProblemFieldError } from './problem';
import type { ReadingRules } from './request-reading';

/** The contract's body limit. */
const bodyLimit = '16kb';

/**
 * The body's bytes, when it is `application/json`. Content codings are not decoded
 * (`inflate: false`): anything but `identity` is 415. A body of at most 16 KiB gains
 * nothing from compression, and decoding one is work (and a bomb) an attacker chooses.
 */
const readBytes = express.raw({ limit: bodyLimit, type: 'application/json', inflate: false });

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** With the `u` flag a surrogate pair is one code point: only an unpaired half is in Cs. */
const unpairedSurrogate = /\p{Cs}/u;

/**
 * UTF-8 cannot carry a surrogate (the decoder refuses one), so JSON text can only write
 * one as a `\u` escape: text without such an escape has none to look for.
 */
const surrogateEscape = /\\u[dD][89a-fA-F]/;

const invalid = (errors: ProblemFieldError[], detail = 'The request does not match the contract.') =>
  new ProblemError('invalid-request', detail, { errors });

const notUtf8Json = () => new ProblemError('unsupported-media-type', 'The body must be `application/json` in UTF-8.');

/** `charset` parameters of the Content-Type header: at most one, and only UTF-8, is readable. */
function hasOnlyUtf8Charset(req: Request): boolean {
  const types = req.headersDistinct['content-type'] ?? [];
  if (types.length > 1) return false;
  const charsets = [...(types[0] ?? '').matchAll(/;\s*charset\s*=\s*"?([^";\s]*)"?/gi)].map((m) => m[1].toLowerCase());
  return charsets.length === 0 || (charsets.length === 1 && charsets[0] === 'utf-8');
}

/** A member name or index as a JSON Pointer segment. */
function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Parses the JSON text as `x-request-reading` states: numbers are judged by the text
 * sent (lossless-json keeps it) and must match the contract's number grammar, strings
 * and member names must be well-formed Unicode (I-JSON, RFC 7493: a lone surrogate
 * would otherwise reach the database or the auth service altered). Accepted numbers
 * become JS numbers, exact for every value the grammar and the schemas allow (at most
 * two places and ten significant digits). The tree is walked without recursion: its
 * depth is the client's choice. A body without numbers and without surrogate escapes
 * (a create's: every member a string) has nothing to walk for.
 */
function parseBody(text: string, rules: ReadingRules): unknown {
  let numbers = 0;
  const countNumber = (literal: string) => {
    numbers += 1;
    return parseLosslessNumber(literal);
  };
  let root: unknown;
  try {
    root = parse(text, null, countNumber);
  } catch (error) {
    const duplicate = error instanceof Error && /^Duplicate key/.test(error.message);
    throw invalid(
      [{ path: '/body', message: duplicate ? 'must not name a member twice' : 'must be valid JSON' }],
      'The body is not valid JSON.',
    );
  }
  if (numbers === 0 && !surrogateEscape.test(text)) return root;
  const errors: ProblemFieldError[] = [];
  const holder: Record<string, unknown> = { root };
  const pending: Array<{ parent: object; key: string | number; path: string }> = [
    { parent: holder, key: 'root', path: '/body' },
  ];
  for (let entry = pending.pop(); entry; entry = pending.pop()) {
    const { parent, key, path } = entry;
    const value: unknown = Reflect.get(parent, key);
    if (isLosslessNumber(value)) {
      if (!rules.jsonNumber.test(value.value))
        errors.push({
          path,
          message: 'must be written as plain digits with at most two decimal places, without a sign or an exponent',
        });
      Reflect.set(parent, key, Number(value.value));
    } else if (typeof value === 'string') {
      if (unpairedSurrogate.test(value))
        errors.push({ path, message: 'must be well-formed Unicode, without an unpaired surrogate' });
    } else if (Array.isArray(value)) {
      value.forEach((_, index) => pending.push({ parent: value, key: index, path: `${path}/${index}` }));
    } else if (value !== null && typeof value === 'object') {
      for (const member of Object.keys(value)) {
        const memberPath = `${path}/${pointerSegment(member)}`;
        if (unpairedSurrogate.test(member))
          errors.push({
            path: memberPath,
            message: 'must be a well-formed Unicode name, without an unpaired surrogate',
          });
        pending.push({ parent: value, key: member, path: memberPath });
      }
    }
  }
  if (errors.length > 0) throw invalid(errors.sort((a, b) => (a.path < b.path ? -1 : 1)));
  return holder.root;
}

/**
 * Reads the JSON body of an operation that takes one (mounted on those routes only:
 * operations without a body never read it, whatever its type), by the rules of
 * openapi.yaml's `x-request-reading`: UTF-8 only (JSON's one interchange encoding, RFC
 * 8259), so a charset other than UTF-8, two Content-Type headers or a content coding is
 * 415; bytes that are not UTF-8 are 400, never replaced. Other media types are left
 * unread (the validator answers 415). Empty text is not JSON (400).
 */
export function jsonBody(rules: ReadingRules): RequestHandler {
  return (req, res, next) => {
    if (!hasOnlyUtf8Charset(req)) return next(notUtf8Json());
    readBytes(req, res, (error?: unknown) => {
      if (error) return next(error);
      if (!Buffer.isBuffer(req.body)) return next();
      if (req.body.length === 0) {
        return next(invalid([{ path: '/body', message: 'must be a JSON document, not empty' }], 'The body is empty.'));
      }
      let text: string;
      try {
        // A leading byte order mark is dropped (RFC 8259 lets a parser ignore it).
        text = utf8.decode(req.body);
      } catch {
        return next(invalid([{ path: '/body', message: 'must be UTF-8 text' }], 'The body is not valid UTF-8.'));
      }
      try {
        req.body = parseBody(text, rules);
      } catch (problem) {
        return next(problem);
      }
      next();
    });
  };
}
