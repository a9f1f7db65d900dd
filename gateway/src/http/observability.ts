import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../ops/metrics';
import { assignRequestId } from './request-id';

/** Probes and scrapes arrive every few seconds; logging each would drown the rest. */
const quietPaths = new Set(['/healthz', '/metrics']);

/** The route template (of openapi.yaml) each routed request was matched to. */
const routes = new WeakMap<Request, string>();

/** Mounted first on each route: names the request's route template in its metrics. */
export function routeTemplate(template: string): RequestHandler {
  return (req, _res, next) => {
    routes.set(req, template);
    next();
  };
}

/**
 * The first middleware: assigns the request id, and when the response ends records one
 * latency observation by route template (see routeTemplate), method and status
 * and logs one line if the answer's level is enabled (only id, method, URL and outcome:
 * tokens, cookies and passwords never appear). At a production level (warn) a successful
 * request costs a level check, no child logger and no serialization. One middleware and
 * one pair of listeners: each Express layer and each listener is paid on every request.
 */
export function observeRequests(deps: { metrics: GatewayMetrics; logger: Logger }): RequestHandler {
  const { metrics, logger } = deps;
  return (req, res, next) => {
    req.id = assignRequestId(req, res);
    const logged = !quietPaths.has(req.url);
    const started = process.hrtime.bigint();
    const done = () => {
      res.removeListener('finish', done);
      res.removeListener('close', done);
      const status = res.statusCode;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // An aborted request has no status the client saw: it is logged, not measured.
      if (res.writableFinished) {
        const route = routes.get(req) ?? (req.originalUrl.startsWith('/docs/') ? '/docs/{asset}' : 'unmatched');
        metrics.observeHttp(req.method, route, status, seconds);
      }
      if (!logged) return;
      // A 503 is an outage being reported (auth service or database), not a bug: warn.
      const level = status === 500 ? 'error' : status >= 500 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      // The error handler logs the cause of a 5xx; the request line only needs the outcome.
      logger[level](
        {
          req: { id: req.id, method: req.method, url: req.url },
          res: { statusCode: status },
          responseTime: Math.round(seconds * 1000),
        },
        status >= 500 ? 'request failed' : res.writableFinished ? 'request completed' : 'request aborted',
      );
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
}
