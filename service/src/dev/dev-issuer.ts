import { createServer } from 'node:http';
import { DEV_ISSUER, DEV_ISSUER_PORT, devSigningKey } from './dev-keys.js';

/**
 * DEVELOPMENT ONLY. Serves the development signing key as a JWKS on loopback, standing in for the
 * authorization server's jwks_uri until the development authorization server exists.
 */
async function main(): Promise<void> {
  const { publicJwk } = await devSigningKey();
  const jwks = JSON.stringify({ keys: [publicJwk] });
  const server = createServer(function serveJwks(req, res) {
    if (req.method === 'GET' && req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=300' });
      res.end(jwks);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  server.listen(DEV_ISSUER_PORT, '127.0.0.1', () => {
    process.stdout.write(`dev issuer: JWKS at ${DEV_ISSUER}/.well-known/jwks.json (development only)\n`);
  });
  const stop = (): void => {
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
