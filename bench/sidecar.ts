// The sidecar and a real `opa run --server` answering the same Data API requests, side by side in
// one run: throughput and latency of one decision, and of a batch of 100, over keep-alive HTTP.
// Run: npm run bench -- sidecar   (results: bench/results/sidecar.md)
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../service/test/support/prometheus.js';
import { report } from './support/results.js';
import { runLoad } from './support/run-load.js';

const root = join(import.meta.dirname, '..');
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);
const CONCURRENCY = 16;

async function ready(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/health?bundles`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not become ready`);
}

const environment = { now: '2026-11-23T10:00:00Z', request_id: 'bench', ip: '127.0.0.1' };
const subject = {
  claims: {
    sub: 'mia',
    client_id: 'web-app',
    scope: 'transactions:read transactions:approve',
    roles: ['manager'],
    department: 'retail',
  },
};
const resource = (i: number) => ({
  type: 'transaction',
  id: `t-${i}`,
  owner: 'alice',
  department: 'retail',
  amount_minor: 1000 + i,
  currency: 'EUR',
  category: 'groceries',
  status: 'pending',
  created_at: '2026-11-20T09:30:00Z',
});
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
const children: ChildProcess[] = [
  spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'sidecar', 'src', 'main.ts')], {
    env: {
      PATH: process.env.PATH,
      PORT: String(sidecarPort),
      BUNDLE_PATH: join(root, 'policies', 'build', 'bundle.tar.gz'),
      DECISION_LOG: 'off',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  }),
  spawn(
    join(root, '.tools', 'bin', 'opa'),
    [
      'run',
      '--server',
      '--addr',
      `127.0.0.1:${opaPort}`,
      '--bundle',
      join(root, 'policies', 'build', 'rego-bundle.tar.gz'),
      '--log-level',
      'error',
    ],
    {
      stdio: 'ignore',
    },
  ),
];
try {
  await Promise.all([ready(`http://127.0.0.1:${sidecarPort}`), ready(`http://127.0.0.1:${opaPort}`)]);
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
