import type { RequestHandler } from 'express';
import cors from 'cors';

/** The request headers the API reads; a browser may send these cross-origin. */
export const corsRequestHeaders = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'];
/** The response headers a script may read besides the CORS-safelisted ones. */
export const corsExposedHeaders = ['Location', 'Retry-After', 'X-Request-Id'];
/** How long a browser may reuse a preflight's answer. */
export const corsMaxAgeSeconds = 600;

/**
 * Lets browser apps served from the listed origins (exact `scheme://host[:port]`) call
 * the API: a preflight from one is 204 with the methods, the request headers above and
 * a max age; every answer to one names it in `Access-Control-Allow-Origin` and exposes
 * the headers above. Any other origin gets no CORS header at all, so its browser keeps
 * the answer from the page. No credentials mode: the API takes bearer tokens, never
 * cookies.
 */
export function corsPolicy(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  const policy = cors({
    origin: (origin, decide) => decide(null, origin !== undefined && allowed.has(origin) ? origin : false),
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: corsRequestHeaders,
    exposedHeaders: corsExposedHeaders,
    maxAge: corsMaxAgeSeconds,
    optionsSuccessStatus: 204,
  });
  return (req, res, next) => {
    // Answers differ by Origin: a cache in front must keep them apart, allowed or not.
    res.vary('Origin');
    policy(req, res, next);
  };
}
