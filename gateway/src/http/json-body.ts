import express, { type RequestHandler } from 'express';
import { operationOf } from './observability';

/** The contract's body limit. */
const bodyLimit = '16kb';

const parseJson = express.json({ limit: bodyLimit, strict: true, type: 'application/json' });

/**
 * Parses JSON bodies of operations that take one. Other operations (GET, DELETE, …)
 * never read the body, so its content type does not matter to them. Other media types
 * are left unparsed for the validator to answer 415.
 */
export function jsonBody(): RequestHandler {
  return (req, res, next) => (operationOf(res.locals)?.hasBody ? parseJson(req, res, next) : next());
}
