import type { IncomingMessage, ServerResponse } from 'node:http';
import { uuidv7 } from '../ids/uuid';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (see assignRequestId). */
    id?: string;
  }
}

/** A caller's id is kept when it is a sane token: 1–128 visible ASCII characters. */
const saneRequestId = /^[\x21-\x7E]{1,128}$/;

/**
 * The request's id: the caller's `X-Request-Id` when sane, else a new UUID v7. It is
 * echoed on the response, logged, and passed to the auth service.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const offered = req.headers['x-request-id'];
  const id = typeof offered === 'string' && saneRequestId.test(offered) ? offered : uuidv7();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** The id assigned by the request-logging middleware (kept on `req.id`). */
export function requestIdOf(req: IncomingMessage): string {
  return String(req.id);
}
