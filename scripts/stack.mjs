#!/usr/bin/env node
// The local stack on the default ports (compose/docker-compose.yml's): authorization server, bundle
// server, sidecar, service and the gateway on https://api.demo.example:8443, all on loopback, from
// the compiled JavaScript (`npm run build`; `npm start` builds first). Prints the URLs and a
// ready-to-paste curl per role; Ctrl-C or SIGTERM stops every part. DEVELOPMENT ONLY: development
// users, keys and certificates under data/.
//
//   node scripts/stack.mjs            start and wait (logs of every part on this terminal)
//   node scripts/stack.mjs --quiet    each part's log in data/logs/<part>.log instead
//   node scripts/stack.mjs --replicas 2
//                                     compose's shape: Debian's PostgreSQL and Redis (throwaway: a
//                                     fresh, seeded database each start) and two sidecar + service
//                                     pairs behind the gateway (the second on :8090, :9474, :8191)
//   node scripts/stack.mjs --setup    only make what compose mounts from data/ (TLS certificate,
//                                     audit key), then exit
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureGatewayCertificates } from '../compose/stack/certificates.mjs';
import { API_HOST, MAX_REPLICAS, ROOT, startStack } from '../compose/stack/local-stack.mjs';

/** One line per role: who, how to get an opaque token, what to ask. */
const ROLES = [
  ['customer alice (web-app, code + PKCE)', 'alice', 'GET', '/transactions'],
  ['customer carol', 'carol', 'GET', '/accounts'],
  ['support sam (fields redacted)', 'sam', 'GET', '/transactions'],
  ['manager mia (approves in business hours)', 'mia', 'GET', '/transactions?status=pending'],
  ['auditor ada', 'ada', 'GET', '/audit'],
  ['admin root', 'root', 'GET', '/transactions'],
  [
    'AI agent budget-bot for alice, limits',
    'alice --client budget-bot --limit-amount 50000',
    'GET',
    '/transactions',
  ],
  ['service client reporting (client credentials)', 'reporting', 'GET', '/accounts'],
];

function usage(stack, dataDir) {
  const port = stack.ports.gateway;
  const base = `https://${API_HOST}:${port}`;
  const tls = `--resolve ${API_HOST}:${port}:127.0.0.1 --cacert ${relative(process.cwd(), join(dataDir, 'gateway', 'ca.pem'))}`;
  const lines = ROLES.map(
    ([who, token, , path]) =>
      `  # ${who}\n  curl -s ${tls} -H "Authorization: Bearer $(npm run -s token -- ${token})" '${base}${path}'`,
  );
  return `
Verdict is running: the gateway is the only way in (phantom tokens: opaque outside, JWTs inside).

  API (gateway, TLS)      ${base}        (resolve ${API_HOST} to 127.0.0.1)
  resource metadata       ${base}/.well-known/oauth-protected-resource
  authorization server    http://127.0.0.1:${stack.ports.authServer}        (users' password: verdict, one-time code 000000)
${replicaLines(stack)}
  gateway access log      ${relative(process.cwd(), join(dataDir, 'gateway', 'logs', 'access.log'))}

${lines.join('\n')}

  # an unknown opaque token: 401 with a problem body and a Bearer challenge
  curl -i -k ${base}/transactions --resolve ${API_HOST}:${port}:127.0.0.1 -H "Authorization: Bearer 42fb44ec-4d96-4f5a-ac48-abbd7e004a2a"

  alice holds acct-alice-1 (retail), bob acct-bob-1 (retail), carol acct-carol-1 (private).
  Ctrl-C stops everything.
`;
}

/** Each replica's service, sidecar, metrics and decision log; the shared database with several. */
function replicaLines(stack) {
  const lines = stack.replicas.flatMap((replica, index) => {
    const name = stack.replicas.length === 1 ? '' : ` ${index + 1}`;
    const log = stack.environments.replicas[index].sidecar.DECISION_LOG.replace(/^file:/, '');
    return [
      `  service, sidecar${name.padEnd(7)} ${replica.serviceUrl}, ${replica.sidecarUrl}   (loopback only)`,
      `  metrics${name.padEnd(16)} http://127.0.0.1:${replica.admin}/metrics, ${replica.sidecarUrl}/metrics`,
      `  decision log${name.padEnd(11)} ${relative(process.cwd(), log)}`,
    ];
  });
  if (stack.redisUrl !== undefined)
    lines.push(
      `  PostgreSQL, Redis       ${stack.databaseUrl}, ${stack.redisUrl}   (throwaway)`,
      `  audit checkpoints       ${relative(process.cwd(), stack.checkpointFile)}`,
    );
  return lines.join('\n');
}

/** What compose mounts from data/: the gateway's certificate and the audit key. */
function setup(dataDir) {
  const certificates = ensureGatewayCertificates(join(dataDir, 'gateway'));
  const auditKey = join(dataDir, 'audit-hmac.key');
  mkdirSync(dataDir, { recursive: true });
  if (!existsSync(auditKey))
    writeFileSync(auditKey, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  process.stdout.write(
    `stack: ${certificates.created ? 'made' : 'kept'} the gateway certificate ${relative(process.cwd(), certificates.certificate)} ` +
      `(CA ${relative(process.cwd(), certificates.ca)}) and the audit key ${relative(process.cwd(), auditKey)}\n`,
  );
}

/** Starts the stack and keeps it until a signal or a part that stops on its own. */
export async function runStack(argv = process.argv.slice(2)) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quiet: { type: 'boolean', default: false },
      setup: { type: 'boolean', default: false },
      replicas: { type: 'string', default: '1' },
    },
  });
  const replicas = Number(values.replicas);
  if (!/^\d+$/.test(values.replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
    process.stderr.write(`stack: --replicas must be a whole number from 1 to ${MAX_REPLICAS}\n`);
    process.exit(2);
  }
  const dataDir = join(ROOT, 'data');
  if (values.setup) return setup(dataDir);
  let stack;
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    await stack?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    stack = await startStack({
      dataDir,
      replicas,
      logs: values.quiet ? join(dataDir, 'logs') : 'inherit',
      onExit: (name, code, signal) => {
        process.stderr.write(`stack: ${name} stopped (${signal ?? `exit ${code}`}); stopping everything\n`);
        void stop(1);
      },
    });
  } catch (error) {
    process.stderr.write(`stack: ${error.message}\n`);
    process.exit(1);
  }
  if (!stopping) process.stdout.write(usage(stack, dataDir));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1]))
  await runStack();
