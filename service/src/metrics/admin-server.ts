import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** The admin listener (ADMIN_PORT): `GET /metrics` only, kept off the public API port. */
export function adminServer(registry: Registry): Server {
  return createServer(function serveMetrics(req, res) {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': registry.contentType }).end(body);
      },
      () => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      },
    );
  });
}
