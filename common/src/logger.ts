import pino, { type Logger } from 'pino';
import { redactUrl } from './redact-url';

export type { Logger };

/** Paths that must never reach a log line, wherever they appear. */
const redactPaths = [
  'password',
  '*.password',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'passwordHash',
  '*.passwordHash',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** A logged request (`req`): its URL's credentials redacted (see redactUrl); paths above still apply. */
function requestSerializer(req: unknown): unknown {
  if (typeof req !== 'object' || req === null || !('url' in req) || typeof req.url !== 'string') return req;
  return { ...req, url: redactUrl(req.url) };
}

/** A JSON logger on stdout, or on `destination` (a command keeps stdout for its answer: `pino.destination(2)`). */
export function createLogger(name: string, level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: { req: requestSerializer },
    },
    destination,
  );
}
