#!/usr/bin/env node
// `npm start`: runs the system on its embedded defaults — SQLite, development tokens — and prints
// how to call it. DEVELOPMENT ONLY: the signing key and issuer are local stand-ins. The service and
// the sidecar run their compiled JavaScript (`npm run build` → service/dist, sidecar/dist), built here
// first: tsc is incremental, so a build with nothing changed takes about a second.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Node on compiled JavaScript; `production` selects the sidecar package's dist/ exports. */
const node = [process.execPath, '--conditions=production'];
const port = process.env.PORT ?? '8080';
const env = {
  ...process.env,
  JWKS_URL: process.env.JWKS_URL ?? 'http://127.0.0.1:8180/.well-known/jwks.json',
  JWT_ISSUER: process.env.JWT_ISSUER ?? 'http://127.0.0.1:8180',
  JWT_AUDIENCE: process.env.JWT_AUDIENCE ?? 'verdict-transactions',
  DATABASE_URL: process.env.DATABASE_URL ?? 'sqlite:./data/verdict.db',
  AUDIT_HMAC_KEY_FILE: process.env.AUDIT_HMAC_KEY_FILE ?? 'data/audit-hmac.key',
  PDP_MODE: process.env.PDP_MODE ?? 'sidecar',
  PORT: port,
  // Embedded mode runs the sidecar's engine path in the service, with the sidecar's variables.
  BUNDLE_PUBLIC_KEYS: process.env.BUNDLE_PUBLIC_KEYS ?? 'data/bundle-signing/keys.json',
  DECISION_LOG: process.env.DECISION_LOG ?? 'file:data/decisions.jsonl',
};
const children = [];

// The sidecar has variables of its own (PORT among them): it gets only what is meant for it.
// Bundles are signature-verified: with the development key npm run policy:build signs with
// (data/bundle-signing/keys.json), or with BUNDLE_PUBLIC_KEYS when bundles are signed by BUNDLE_SIGNING_KEY.
const sidecarEnv = {
  PATH: process.env.PATH,
  PORT: process.env.SIDECAR_PORT ?? '8181',
  BUNDLE_PATH: 'policies/build/bundle.tar.gz',
  BUNDLE_PUBLIC_KEYS: env.BUNDLE_PUBLIC_KEYS,
  DECISION_LOG: env.DECISION_LOG,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
};

function start(name, args, childEnv = env) {
  const child = spawn(node[0], [...node.slice(1), ...args], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`start: ${name} stopped (${signal ?? `exit ${code}`}); stopping everything\n`);
    stop(code ?? 1);
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

async function waitReady(url, deadline) {
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

const built = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) {
  process.stderr.write('start: npm run build failed\n');
  process.exit(built.status ?? 1);
}
const seeded = spawnSync(node[0], [...node.slice(1), 'service/dist/dev/seed-cli.js', env.DATABASE_URL], {
  cwd: root,
  env,
  stdio: 'inherit',
});
if (seeded.status !== 0) process.exit(seeded.status ?? 1);
start('dev issuer', ['service/dist/dev/dev-issuer.js']);
await waitReady(env.JWKS_URL, Date.now() + 15_000);
if (env.PDP_MODE === 'sidecar') {
  start('sidecar', ['sidecar/dist/main.js'], sidecarEnv);
  await waitReady(`http://127.0.0.1:${sidecarEnv.PORT}/health?bundles`, Date.now() + 15_000);
}
start('service', ['service/dist/server.js']);
if (!(await waitReady(`http://127.0.0.1:${port}/health/ready`, Date.now() + 30_000))) {
  process.stderr.write('start: the service did not become ready in 30 s\n');
  stop(1);
} else {
  process.stdout.write(`
Verdict is running (development tokens, SQLite at ${env.DATABASE_URL}, policy decisions by the
${env.PDP_MODE === 'sidecar' ? `sidecar on 127.0.0.1:${sidecarEnv.PORT}, decision log in data/decisions.jsonl` : 'embedded engine, decision log in data/decisions.jsonl'}).

  TOKEN=$(npm run -s token -- --sub alice --scope "transactions:read transactions:write accounts:read")
  curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:${port}/accounts
  curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:${port}/transactions?account_id=acct-alice-1
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"account_id":"acct-alice-1","amount_minor":1250,"currency":"EUR","category":"dining","counterparty":{"name":"Cafe","account":"FR7630006"}}' \
    http://127.0.0.1:${port}/transactions

  alice holds account acct-alice-1 (retail), bob acct-bob-1 (retail), carol acct-carol-1 (private).

  OpenAPI: http://127.0.0.1:${port}/openapi.json    metrics: http://127.0.0.1:9464/metrics
  Ctrl-C stops everything.
`);
}
