import http from 'node:http';
import type { GatewayMetrics } from './metrics';

/**
 * `/metrics` on a port of its own (`METRICS_PORT`), so that the public Service never
 * carries it: this server answers `GET /metrics` and nothing else (404), logs nothing and
 * is not observed itself.
 */
export function metricsServer(metrics: GatewayMetrics): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res
        .writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
        .end('Not found: this port serves GET /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
      () => res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Metrics could not be collected\n'),
    );
  });
}
