import express, { type RequestHandler } from 'express';
import { operationOf } from './observability';
import { ProblemError } from './problem';

/** The contract's body limit. */
const bodyLimit = '16kb';

const parseJson = express.json({ limit: bodyLimit, strict: true, type: 'application/json' });

const charsetParameter = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/**
 * Parses JSON bodies of operations that take one. Bodies must be UTF-8 (JSON's only
 * interchange encoding, RFC 8259); a declared charset other than that is 415, as is any
 * other media type (answered by the validator, which leaves such bodies unparsed).
 * Operations without a body (GET, DELETE, …) never read it, whatever its type.
 */
export function jsonBody(): RequestHandler {
  return (req, res, next) => {
    if (!operationOf(res.locals)?.hasBody) return next();
    const charset = charsetParameter.exec(req.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
      return next(new ProblemError('unsupported-media-type', 'The body must be `application/json` in UTF-8.'));
    }
    return parseJson(req, res, next);
  };
}
