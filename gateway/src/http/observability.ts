import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
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

/**
 * Assigns the request id and logs one line per request when the answer's level is
 * enabled (tokens, cookies and passwords never appear: only id, method and URL). At a
 * production level (warn) a successful request costs a level check, no child logger and
 * no serialization: pino-http built both for every request, whatever the level.
 */
export function requestLogging(logger: Logger): RequestHandler {
  return (req, res, next) => {
    req.id = assignRequestId(req, res);
    if (quietPaths.has(req.url)) return next();
    const started = Date.now();
    const done = () => {
      res.removeListener('finish', done);
      res.removeListener('close', done);
      // A 503 is an outage being reported (auth service or database), not a bug: warn.
      const status = res.statusCode;
      const level = status === 500 ? 'error' : status >= 500 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      // The error handler logs the cause of a 5xx; the request line only needs the outcome.
      logger[level](
        {
          req: { id: req.id, method: req.method, url: req.url },
          res: { statusCode: status },
          responseTime: Date.now() - started,
        },
        status >= 500 ? 'request failed' : res.writableFinished ? 'request completed' : 'request aborted',
      );
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
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
