#!/usr/bin/env node
// The bundle server: a tiny static HTTP server of the signed policy bundles (policies/build/), which
// the sidecar polls through BUNDLE_URL with If-None-Match. Any static server would do — bundles
// are signed, so the transport need not be trusted for integrity. Plain Node, no dependencies: the
// local stack runs it as a process, compose in a node image.
//
// Environment: PORT [8282], HOST [127.0.0.1], BUNDLE_DIR [policies/build].
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { isAbsolute, join, normalize, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A server of the files under `dir`: GET/HEAD only, strong ETags (SHA-256), `/health`. */
export function createBundleServer(dir) {
  const root = resolve(dir);
  /** ETags by path, recomputed when the file's size or mtime changes. */
  const tags = new Map();

  async function file(path) {
    const info = await stat(path);
    if (!info.isFile()) return undefined;
    const known = tags.get(path);
    if (known !== undefined && known.mtimeMs === info.mtimeMs && known.size === info.size) return known;
    const body = await readFile(path);
    const entry = {
      mtimeMs: info.mtimeMs,
      size: info.size,
      body,
      etag: `"${createHash('sha256').update(body).digest('base64url')}"`,
    };
    tags.set(path, entry);
    return entry;
  }

  return createServer((req, res) => {
    const answer = (status, text, headers = {}) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return answer(405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    const url = new URL(req.url ?? '/', 'http://bundle-server');
    if (url.pathname === '/health') return answer(200, 'ok\n');
    const path = normalize(join(root, decodeURIComponent(url.pathname)));
    const inside = relative(root, path);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return answer(404, 'not found\n');
    file(path).then(
      (entry) => {
        if (entry === undefined) return answer(404, 'not found\n');
        const headers = { ETag: entry.etag, 'Cache-Control': 'no-cache' };
        if (req.headers['if-none-match'] === entry.etag) {
          res.writeHead(304, headers);
          return res.end();
        }
        res.writeHead(200, { ...headers, 'Content-Type': 'application/gzip', 'Content-Length': entry.size });
        res.end(req.method === 'HEAD' ? undefined : entry.body);
      },
      () => answer(404, 'not found\n'),
    );
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const port = Number(process.env.PORT ?? '8282');
  const host = process.env.HOST ?? '127.0.0.1';
  const dir = process.env.BUNDLE_DIR ?? 'policies/build';
  const server = createBundleServer(dir);
  server.listen(port, host, () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ msg: 'bundle server listening', address, dir })}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
