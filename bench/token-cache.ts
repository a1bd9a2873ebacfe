// Measures what the verified-token cache does to throughput, side by side in one run: a bare Koa
// route, the authenticated list route with the cache, and the same route with the cache off. The
// load comes from a separate process (bench/support/load.ts).
// Run: npm run bench -- token-cache   (results: bench/results/token-cache.md)
import Koa from 'koa';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createApp } from '../service/src/app.js';
import { JwtVerifier } from '../service/src/auth/jwt-verifier.js';
import { RemoteKeySet } from '../service/src/auth/key-set.js';
import { TokenCache } from '../service/src/auth/token-cache.js';
import { sealWith } from '../service/src/audit/record.js';
import { policyAuthorizer } from '../service/test/support/harness.js';
import { createLogger } from '../service/src/logger.js';
import { SqliteStore } from '../service/src/store/sqlite/store.js';
import { report } from './support/results.js';
import { runLoad } from './support/run-load.js';
import {
  ALGORITHMS,
  AUDIENCE,
  baseClaims,
  ISSUER,
  sign,
  TestIssuer,
} from '../service/test/support/issuer.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);
const CONCURRENCY = 16;

async function listen(handler: RequestListener): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function serviceWith(issuer: TestIssuer, cacheEntries: number) {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-bench-'));
  const logger = createLogger(
    'silent',
    new Writable({
      write: (_chunk, _encoding, callback) => {
        callback();
      },
    }),
  );
  const store = SqliteStore.open(join(dir, 'bench.db'), { seal: sealWith(randomBytes(32)) });
  const keySet = new RemoteKeySet({
    url: issuer.jwksUrl,
    cooldownMs: 30_000,
    cacheMaxAgeMs: 600_000,
    now: Date.now,
    logger,
  });
  const verifier = new JwtVerifier({
    getKey: keySet.getKey,
    revalidateKeys: () => keySet.revalidate(),
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ALGORITHMS,
    clockToleranceS: 30,
    maxLifetimeS: 3600,
    cache: new TokenCache(cacheEntries),
    now: Date.now,
  });
  const app = createApp({
    logger,
    store,
    authorizer: await policyAuthorizer(),
    verifier,
    readiness: [],
    corsOrigins: [],
    trustedProxies: [],
    rateLimitPerMin: 1_000_000_000,
    now: Date.now,
  });
  const handle = app.callback();
  const { server, port } = await listen((req, res) => {
    void handle(req, res);
  });
  return {
    port,
    close: async () => {
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const issuer = await TestIssuer.start();
const bare = new Koa();
bare.use((ctx) => {
  ctx.body = { items: [], next_cursor: null };
});
const bareHandle = bare.callback();
const bareServer = await listen((req, res) => {
  void bareHandle(req, res);
});
const cached = await serviceWith(issuer, 10_000);
const uncached = await serviceWith(issuer, 0);

const rows: string[] = [];
for (const alg of ['ES256', 'RS256']) {
  const token = await sign(issuer.key(alg), baseClaims(Math.floor(Date.now() / 1000)));
  const auth = { authorization: `Bearer ${token}` };
  const results = {
    bare: await runLoad({
      port: bareServer.port,
      path: '/transactions',
      concurrency: CONCURRENCY,
      durationMs: DURATION_MS,
    }),
    cached: await runLoad({
      port: cached.port,
      path: '/transactions',
      headers: auth,
      concurrency: CONCURRENCY,
      durationMs: DURATION_MS,
    }),
    uncached: await runLoad({
      port: uncached.port,
      path: '/transactions',
      headers: auth,
      concurrency: CONCURRENCY,
      durationMs: DURATION_MS,
    }),
  };
  for (const [name, r] of Object.entries(results)) {
    rows.push(
      `| ${alg} | ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} | ${(r.rps / results.bare.rps).toFixed(2)} |`,
    );
  }
}
report(
  'token-cache',
  `Token cache, ${CONCURRENCY} keep-alive connections, ${DURATION_MS / 1000} s per row`,
  ['token alg', 'server', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'vs bare Koa'],
  rows,
);
await Promise.all([cached.close(), uncached.close(), issuer.stop()]);
bareServer.server.close();
