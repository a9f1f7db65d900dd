import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { GatewayMetrics } from '../health/metrics';
import type { ContractOperation, OperationIndex } from './operation-index';
import { assignRequestId } from './request-id';

/** Probes and scrapes arrive every few seconds; logging each would drown the rest. */
const quietPaths = new Set(['/healthz', '/metrics']);

/**
 * Finds the contract operation a request addresses, once, for the middleware after it
 * (bearer check, body parser, metrics).
 */
export function identifyOperation(operations: OperationIndex): RequestHandler {
  return (req, res, next) => {
    res.locals.operation = operations.match(req.method, req.path);
    next();
  };
}

export function operationOf(locals: Record<string, unknown>): ContractOperation | undefined {
  return locals.operation as ContractOperation | undefined;
}

/** Assigns the request id and logs one line per request (tokens, cookies and passwords never appear). */
export function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: assignRequestId,
    autoLogging: { ignore: (req) => quietPaths.has(req.url ?? '') },
    // A 503 is an outage being reported (auth service or database), not a bug: warn.
    customLogLevel: (_req, res, error) =>
      error || res.statusCode === 500 ? 'error' : res.statusCode >= 500 ? 'warn' : 'info',
    // The error handler logs the cause of a 5xx; the request line only needs the outcome.
    customErrorObject: (_req, _res, _error, line: Record<string, unknown>) => ({ ...line, err: undefined }),
    customErrorMessage: () => 'request failed',
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  }) as unknown as RequestHandler;
}

/** Request count and latency by route template, method and status: one observation per response. */
export function httpMetrics(metrics: GatewayMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route =
        operationOf(res.locals)?.template ?? (req.originalUrl.startsWith('/docs/') ? '/docs/{asset}' : 'unmatched');
      metrics.observeHttp(req.method, route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
