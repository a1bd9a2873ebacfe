// The sidecar and a real `opa run --server` answering the same Data API requests, side by side in
// one run: throughput and latency of one decision, and of a batch of 100, over keep-alive HTTP.
// Run: npm run bench -- sidecar   (results: bench/results/sidecar.md)
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../service/test/support/prometheus.js';
import { startSidecar, waitHealthy } from '../service/test/support/sidecar-process.js';
import { BENCH_ENVIRONMENT, benchResource, MANAGER } from './support/fixtures.js';
import { report } from './support/results.js';
import { runLoad } from './support/run-load.js';

const root = join(import.meta.dirname, '..');
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);
const CONCURRENCY = 16;

const environment = BENCH_ENVIRONMENT;
const subject = MANAGER;
const resource = (i: number) => benchResource(i);
const requests = [
  {
    name: 'decision (manager approves)',
    path: '/v1/data/verdict/authz/decision',
    input: { subject, action: 'transactions:approve', resource: resource(0), environment },
  },
  {
    name: 'batch of 100 (manager lists)',
    path: '/v1/data/verdict/authz/batch',
    input: {
      subject,
      action: 'transactions:list',
      resources: Array.from({ length: 100 }, (_, i) => resource(i)),
      environment,
    },
  },
];

const [sidecarPort, opaPort] = [await freePort(), await freePort()];
const opa = spawn(
  join(root, '.tools', 'bin', 'opa'),
  [
    'run',
    '--server',
    '--addr',
    `127.0.0.1:${opaPort}`,
    // policy:build signs the bundles; without BUNDLE_SIGNING_KEY with this development key.
    '--verification-key',
    join(root, 'data', 'bundle-signing', 'public.pem'),
    '--bundle',
    join(root, 'policies', 'build', 'rego-bundle.tar.gz'),
    '--log-level',
    'error',
  ],
  { stdio: 'ignore' },
);
const children: ChildProcess[] = [opa];
try {
  children.push(await startSidecar(sidecarPort));
  await waitHealthy(`http://127.0.0.1:${opaPort}`, opa, 'opa run --server');
  const rows: string[] = [];
  for (const request of requests) {
    const body = JSON.stringify({ input: request.input });
    const results: [string, Awaited<ReturnType<typeof runLoad>>][] = [];
    for (const [server, port] of [
      ['sidecar (WASM)', sidecarPort],
      ['opa run --server (Rego)', opaPort],
    ] as const) {
      const result = await runLoad({
        port,
        path: request.path,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        concurrency: CONCURRENCY,
        durationMs: DURATION_MS,
      });
      results.push([server, result]);
    }
    const base = results[1]?.[1].rps ?? Number.NaN;
    for (const [server, r] of results) {
      rows.push(
        `| ${request.name} | ${server} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} | ${(r.rps / base).toFixed(2)} |`,
      );
    }
  }
  report(
    'sidecar',
    `Sidecar vs opa run --server, same requests, ${CONCURRENCY} keep-alive connections, ${DURATION_MS / 1000} s per row, opa v1.22.2`,
    ['request', 'server', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'req/s vs opa'],
    rows,
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
}
