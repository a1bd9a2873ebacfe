import type Koa from 'koa';
import { createServer } from 'node:http';

/**
 * Serves a bench server's Koa app on 127.0.0.1:$PORT with `GET /health` answered before the app,
 * and stops on SIGTERM.
 */
export function listen(app: Koa): void {
  const handle = app.callback();
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    void handle(req, res);
  });
  server.keepAliveTimeout = 5000;
  server.listen(Number(process.env.PORT), '127.0.0.1');
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
