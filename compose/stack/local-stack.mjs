// The local stack: the deployment of compose/docker-compose.yml as processes on loopback — the
// authorization server, the bundle server, the sidecar, the service (SQLite, seeded with the demo
// data) and the gateway (nginx over TLS) — started in order, each waited for, stopped together.
// With `replicas` > 1 (compose's shape): PostgreSQL and Redis (Debian's, throwaway, through
// scripts/servers/), then that many sidecar + service pairs on the one database and the one Redis,
// seeded once, every service an upstream of the gateway.
// `npm start` (scripts/stack.mjs) runs it on the default ports; the end-to-end tests run it on free
// ones in a temporary data directory. Everything runs compiled (`npm run build`).
/* global AbortSignal */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureGatewayCertificates, readCa } from './certificates.mjs';
import { startNginx } from './gateway.mjs';
import { startPostgres } from '../../scripts/servers/postgres.mjs';
import { startRedis } from '../../scripts/servers/redis.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The ports of compose/docker-compose.yml, which the local stack uses by default. */
export const DEFAULT_PORTS = Object.freeze({
  gateway: 8443,
  authServer: 8180,
  service: 8080,
  admin: 9464,
  sidecar: 8181,
  bundles: 8282,
});

/** The most replicas the stack runs (their default ports are 10 apart: see `replicaPorts`). */
export const MAX_REPLICAS = 8;

/**
 * The ports of each replica: the first has `ports.service`, `ports.admin` and `ports.sidecar`,
 * each next one the same plus 10 (8090, 9474, 8191 for the second on the defaults), unless
 * `given[i]` names them.
 */
export function replicaPorts(ports, replicas, given = []) {
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS)
    throw new Error(`replicas must be a whole number from 1 to ${MAX_REPLICAS}, not ${replicas}`);
  return Array.from({ length: replicas }, (_, i) => ({
    service: ports.service + 10 * i,
    admin: ports.admin + 10 * i,
    sidecar: ports.sidecar + 10 * i,
    ...given[i],
  }));
}

/** A replica's part names: `sidecar` and `service` alone, `sidecar-2` and `service-2` with more (compose's). */
export function replicaNames(index, replicas) {
  const suffix = replicas === 1 ? '' : `-${index + 1}`;
  return { sidecar: `sidecar${suffix}`, service: `service${suffix}` };
}

/** The API's public name (the gateway's certificate covers it) and its audience. */
export const API_HOST = 'api.demo.example';
export const API_AUDIENCE = 'verdict-transactions';

/** The compiled entry points the stack runs. */
export const MAINS = Object.freeze({
  authServer: 'auth-server/dist/main.js',
  sidecar: 'sidecar/dist/main.js',
  service: 'service/dist/server.js',
  seed: 'service/dist/dev/seed-cli.js',
});

const BUNDLE_SERVER = join(dirname(fileURLToPath(import.meta.url)), 'bundle-server.mjs');

const NODE = [process.execPath, '--conditions=production'];

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The parts of the stack in start order; `stop` goes the other way. */
function partOrder(replicas) {
  const pairs = Array.from({ length: replicas }, (_, i) => replicaNames(i, replicas));
  return [
    // First: every other part's environment names them.
    ...(replicas > 1 ? ['postgres', 'redis'] : []),
    'authServer',
    'bundleServer',
    ...pairs.flatMap(({ sidecar, service }) => [sidecar, service]),
    'gateway',
  ];
}

/**
 * The environment of each part, from the stack's ports and directories — the same variable names
 * as compose/docker-compose.yml. `discovered` holds what the authorization server published.
 * `replicas` (from `replicaPorts`) with more than one entry needs `databaseUrl` (PostgreSQL) and
 * `redisUrl`: every service gets them, its own ports and its own sidecar, and they all append to
 * one AUDIT_CHECKPOINT_FILE. `sidecar` and `service` are the first replica's.
 */
export function partEnvironments({
  root = ROOT,
  ports,
  host,
  dataDir,
  logLevel,
  discovered,
  bundlePollS,
  bundleDir = join(root, 'policies', 'build'),
  replicas = replicaPorts(ports, 1),
  databaseUrl,
  redisUrl,
  rateLimitPerMin,
}) {
  const issuer = `http://${host}:${ports.authServer}`;
  const resourceUrl = `https://${API_HOST}:${ports.gateway}`;
  const keysDir = join(dataDir, 'auth-server');
  const bundleKeys = process.env.BUNDLE_PUBLIC_KEYS ?? join(root, 'data', 'bundle-signing', 'keys.json');
  const shared = replicas.length > 1;
  if (shared && (databaseUrl === undefined || redisUrl === undefined))
    throw new Error('several replicas need a databaseUrl (PostgreSQL) and a redisUrl');
  const pairs = replicas.map((replica, index) => ({
    names: replicaNames(index, replicas.length),
    sidecar: {
      PORT: String(replica.sidecar),
      HOST: host,
      BUNDLE_URL: `http://${host}:${ports.bundles}/bundle.tar.gz`,
      BUNDLE_POLL_S: String(bundlePollS),
      BUNDLE_PUBLIC_KEYS: bundleKeys,
      DECISION_LOG: `file:${join(dataDir, shared ? `decisions-${index + 1}.jsonl` : 'decisions.jsonl')}`,
      LOG_LEVEL: logLevel,
    },
    service: {
      PORT: String(replica.service),
      HOST: host,
      ADMIN_PORT: String(replica.admin),
      DATABASE_URL: databaseUrl ?? `sqlite:${join(dataDir, 'verdict.db')}`,
      ...(shared ? { REDIS_URL: redisUrl } : {}),
      AUDIT_HMAC_KEY_FILE: join(dataDir, 'audit-hmac.key'),
      AUDIT_CHECKPOINT_FILE: checkpointFile(dataDir, shared),
      JWKS_URL: discovered?.jwks_uri ?? `${issuer}/jwks`,
      JWT_ISSUER: discovered?.issuer ?? issuer,
      JWT_AUDIENCE: API_AUDIENCE,
      PDP_MODE: 'sidecar',
      PDP_URL: `http://${host}:${replica.sidecar}`,
      // A shared development machine stalls a loopback call past the service's 50 ms now and then.
      PDP_TIMEOUT_MS: '250',
      TRUSTED_PROXIES: host,
      RESOURCE_URL: resourceUrl,
      AUTHORIZATION_SERVERS: discovered?.issuer ?? issuer,
      ...(rateLimitPerMin === undefined ? {} : { RATE_LIMIT_PER_MIN: String(rateLimitPerMin) }),
      LOG_LEVEL: logLevel,
    },
  }));
  return {
    replicas: pairs,
    sidecar: pairs[0].sidecar,
    service: pairs[0].service,
    authServer: {
      PORT: String(ports.authServer),
      HOST: host,
      ISSUER: issuer,
      API_AUDIENCE,
      KEYS_DIR: keysDir,
      GATEWAY_CLIENT_SECRET_FILE: join(keysDir, 'gateway-client-secret'),
      LOG_LEVEL: logLevel,
    },
    bundleServer: {
      PORT: String(ports.bundles),
      HOST: host,
      BUNDLE_DIR: bundleDir,
    },
  };
}

/**
 * The audit checkpoint file. Replicas share one: each appends the chain head it sees after its
 * commits (whichever replica commits anchors the chain), each line one O_APPEND write, and
 * `npm run audit:verify` orders the lines by seq. A throwaway PostgreSQL gets its own file, which
 * the stack empties at start: checkpoints of an earlier run's database would not match this one.
 */
function checkpointFile(dataDir, shared) {
  return shared
    ? join(dataDir, 'replicas', 'audit-checkpoints.jsonl')
    : join(dataDir, 'audit-checkpoints.jsonl');
}

/**
 * The gateway template's values for the stack (compose/docker-compose.yml sets the same names).
 * `introspection` is the authorization server's introspection endpoint; `replicas` (from
 * `replicaPorts`, default one at `ports.service`) are the service upstreams.
 */
export function gatewayValues({
  ports,
  host,
  dataDir,
  certificates,
  introspection,
  rateLimit,
  workers,
  replicas = replicaPorts(ports, 1),
}) {
  return {
    WORKER_PROCESSES: String(workers),
    ERROR_LOG: join(dataDir, 'gateway', 'logs', 'error.log'),
    ACCESS_LOG: join(dataDir, 'gateway', 'logs', 'access.log'),
    RESOLVER: '127.0.0.1',
    GATEWAY_LISTEN: `${host}:${ports.gateway}`,
    SERVER_NAME: API_HOST,
    AUTH_SERVER_NAME: 'auth.demo.example',
    TLS_CERTIFICATE: certificates.certificate,
    TLS_CERTIFICATE_KEY: certificates.key,
    SERVICE_UPSTREAMS: replicas.map((replica) => `${host}:${replica.service}`).join(' '),
    AUTH_SERVER_UPSTREAM: `${host}:${ports.authServer}`,
    INTROSPECTION_URL: introspection,
    GATEWAY_CLIENT_ID: 'api-gateway',
    GATEWAY_CLIENT_SECRET_FILE: join(dataDir, 'auth-server', 'gateway-client-secret'),
    API_AUDIENCE,
    PHANTOM_CACHE_MAX_S: '300',
    RESOURCE_URL: `https://${API_HOST}:${ports.gateway}`,
    RATE_LIMIT: rateLimit.rate,
    RATE_LIMIT_BURST: String(rateLimit.burst),
  };
}

/** GET over plain HTTP; resolves with the status and body, rejects when nothing answers. */
async function httpGet(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return { status: response.status, body: await response.text() };
}

/** GET through the gateway over TLS, trusting the development CA, with SNI for the API's name. */
export function gatewayRequest({ port, ca, path, method = 'GET', headers = {}, body, localAddress }) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        servername: API_HOST,
        ca,
        method,
        path,
        localAddress,
        headers: { host: `${API_HOST}:${port}`, ...headers },
        agent: false,
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('gateway request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** One running process of the stack, with the tail of its output for error messages. */
class Part {
  constructor(name, child) {
    this.name = name;
    this.child = child;
    this.tail = '';
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    child.on('exit', () => (this.running = false));
    this.running = true;
    const keep = (chunk) => (this.tail = (this.tail + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000) {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A server of scripts/servers/ (PostgreSQL, Redis) as a part of the stack. */
class ServerPart {
  constructor(name, server) {
    this.name = name;
    this.server = server;
    this.running = true;
    this.tail = '';
  }

  async stop() {
    if (!this.running) return;
    this.running = false;
    await this.server.stop();
  }
}

/**
 * Starts the stack and resolves once every part is ready. Options: `ports` (any subset of
 * DEFAULT_PORTS), `host` [127.0.0.1], `dataDir` [data/ of the repository], `logs` (`inherit` or a
 * directory for one log file per part), `logLevel`, `rateLimit` ({rate, burst}: the gateway's),
 * `rateLimitPerMin` (the services' RATE_LIMIT_PER_MIN; unset: their default), `bundlePollS`,
 * `bundleDir` [policies/build: what the bundle server serves], `replicas` [1] and
 * `replicaPorts` (see `replicaPorts`), `onExit(name, code, signal)` for a part that stops on its own.
 */
export async function startStack(options = {}) {
  const root = resolve(options.root ?? ROOT);
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  const host = options.host ?? '127.0.0.1';
  const dataDir = resolve(options.dataDir ?? join(root, 'data'));
  const logLevel = options.logLevel ?? 'info';
  const rateLimit = options.rateLimit ?? { rate: '50r/s', burst: 100 };
  const bundlePollS = options.bundlePollS ?? 10;
  const bundleDir = resolve(options.bundleDir ?? join(root, 'policies', 'build'));
  const replicas = replicaPorts(ports, options.replicas ?? 1, options.replicaPorts);
  const shared = replicas.length > 1;
  const order = partOrder(replicas.length);
  const logs = options.logs ?? 'inherit';
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  for (const main of Object.values(MAINS)) {
    if (!existsSync(join(root, main))) throw new Error(`${main} is missing: run "npm run build" first`);
  }
  mkdirSync(join(dataDir, 'gateway', 'logs'), { recursive: true });
  if (logs !== 'inherit') mkdirSync(logs, { recursive: true });
  const parts = new Map();
  let stopping = false;
  let discovered;
  let databaseUrl;
  let redisUrl;

  const auditKey = join(dataDir, 'audit-hmac.key');
  if (!existsSync(auditKey))
    writeFileSync(auditKey, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  const certificates = ensureGatewayCertificates(join(dataDir, 'gateway'));
  const ca = readCa(join(dataDir, 'gateway'));

  const environments = () =>
    partEnvironments({
      root,
      ports,
      host,
      dataDir,
      logLevel,
      discovered,
      bundlePollS,
      bundleDir,
      replicas,
      databaseUrl,
      redisUrl,
      rateLimitPerMin: options.rateLimitPerMin,
    });
  const replicaEnvironment = (name) => {
    const pair = environments().replicas.find(
      (replica) => name === replica.names.sidecar || name === replica.names.service,
    );
    if (pair === undefined) throw new Error(`the stack has no part ${name}`);
    return pair;
  };
  let seeded = false;

  /** Where a server of scripts/servers/ writes its output: the terminal, or its log file. */
  function logLine(name) {
    if (logs === 'inherit') return (line) => process.stdout.write(`${name}: ${line}\n`);
    const file = createWriteStream(join(logs, `${name}.log`), { flags: 'a' });
    return (line) => file.write(`${line}\n`);
  }

  function outputs() {
    if (logs === 'inherit') return ['ignore', 'inherit', 'inherit'];
    return ['ignore', 'pipe', 'pipe'];
  }

  function track(name, child) {
    const part = new Part(name, child);
    if (logs !== 'inherit') {
      const file = createWriteStream(join(logs, `${name}.log`), { flags: 'a' });
      child.stdout?.pipe(file);
      child.stderr?.pipe(file);
    }
    child.on('exit', (code, signal) => {
      if (!stopping && parts.get(name) === part && !part.stopping) options.onExit?.(name, code, signal);
    });
    parts.set(name, part);
    return part;
  }

  function spawnNode(name, main, env) {
    const child = spawn(NODE[0], [...NODE.slice(1), main], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: outputs(),
    });
    return track(name, child);
  }

  /** Polls `probe` until it resolves true; fails early with the part's output when it exits. */
  async function waitReady(part, what, probe) {
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (!part.running) throw new Error(`${part.name} exited before it was ready:\n${part.tail}`);
      try {
        if (await probe()) return;
      } catch {
        // not up yet
      }
      await sleep(100);
    }
    throw new Error(`${part.name} was not ready (${what}) within ${readyTimeoutMs / 1000} s:\n${part.tail}`);
  }

  /** A replica's sidecar, then its service: what `starters` does for `sidecar*` and `service*`. */
  async function startSidecar(name) {
    const env = replicaEnvironment(name).sidecar;
    const part = spawnNode(name, MAINS.sidecar, env);
    const url = `http://${host}:${env.PORT}/health?bundles`;
    await waitReady(part, url, async () => (await httpGet(url)).status === 200);
  }

  async function startService(name) {
    const env = replicaEnvironment(name).service;
    if (!seeded) {
      // Once for every replica: they share the database (SQLite alone has one replica).
      const seeding = spawnSync(
        NODE[0],
        [...NODE.slice(1), MAINS.seed, env.DATABASE_URL, env.AUDIT_HMAC_KEY_FILE],
        {
          cwd: root,
          env: { PATH: process.env.PATH ?? '', ...env },
          encoding: 'utf8',
        },
      );
      // The message names the database by its driver only: a PostgreSQL URL may hold a password.
      if (seeding.status !== 0)
        throw new Error(
          `seeding the ${shared ? 'PostgreSQL' : 'SQLite'} database failed:\n${seeding.stderr}`,
        );
      if (logs === 'inherit') process.stdout.write(seeding.stdout);
      seeded = true;
    }
    const part = spawnNode(name, MAINS.service, env);
    const url = `http://${host}:${env.PORT}/health/ready`;
    await waitReady(part, url, async () => (await httpGet(url)).status === 200);
  }

  const starters = {
    async authServer() {
      const env = environments().authServer;
      const part = spawnNode('authServer', MAINS.authServer, env);
      const url = `${env.ISSUER}/.well-known/openid-configuration`;
      await waitReady(part, url, async () => {
        const { status, body } = await httpGet(url);
        if (status !== 200) return false;
        discovered = JSON.parse(body);
        return true;
      });
      for (const field of ['issuer', 'jwks_uri', 'introspection_endpoint']) {
        if (typeof discovered[field] !== 'string')
          throw new Error(`the authorization server's discovery document has no ${field}`);
      }
    },
    async bundleServer() {
      const env = environments().bundleServer;
      const part = spawnNode('bundleServer', BUNDLE_SERVER, env);
      const url = `http://${host}:${env.PORT}/bundle.tar.gz`;
      await waitReady(part, url, async () => (await httpGet(url)).status === 200);
    },
    async postgres() {
      if (databaseUrl !== undefined)
        throw new Error("the stack's PostgreSQL is throwaway: it is not restarted (the data would be gone)");
      const server = await startPostgres({ log: logLine('postgres') });
      databaseUrl = server.url;
      parts.set('postgres', new ServerPart('postgres', server));
      // A fresh database: the checkpoints of an earlier run's would not match its chain.
      rmSync(checkpointFile(dataDir, true), { force: true });
    },
    async redis() {
      // Restarted on its port, so the services find it again.
      const previous = parts.get('redis');
      const server = await startRedis({ port: previous?.server.port, log: logLine('redis') });
      redisUrl = server.url;
      parts.set('redis', new ServerPart('redis', server));
    },
    async gateway() {
      const values = gatewayValues({
        ports,
        host,
        dataDir,
        certificates,
        introspection: discovered.introspection_endpoint,
        rateLimit,
        workers: options.workers ?? 1,
        replicas,
      });
      const child = startNginx({
        runDir: join(dataDir, 'gateway', 'run'),
        values,
        stdio: outputs(),
      });
      const part = track('gateway', child);
      await waitReady(part, `https://${API_HOST}:${ports.gateway}/health`, async () => {
        const answer = await gatewayRequest({ port: ports.gateway, ca, path: '/health' });
        return answer.status === 200;
      });
    },
  };

  async function startPart(name) {
    const running = parts.get(name);
    if (running?.running) return;
    if (!order.includes(name)) throw new Error(`the stack has no part ${name}`);
    if (name.startsWith('sidecar')) return startSidecar(name);
    if (name.startsWith('service')) return startService(name);
    await starters[name]();
  }

  async function stopPart(name) {
    const part = parts.get(name);
    if (part === undefined) return;
    part.stopping = true;
    await part.stop();
  }

  async function stop() {
    stopping = true;
    for (const name of [...order].reverse()) await stopPart(name);
  }

  try {
    for (const name of order) await startPart(name);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    ports,
    dataDir,
    ca,
    caFile: certificates.ca,
    issuer: discovered.issuer,
    discovery: discovered,
    resourceUrl: `https://${API_HOST}:${ports.gateway}`,
    accessLog: join(dataDir, 'gateway', 'logs', 'access.log'),
    errorLog: join(dataDir, 'gateway', 'logs', 'error.log'),
    environments: environments(),
    replicas: environments().replicas.map((replica, index) => ({
      ...replicas[index],
      names: replica.names,
      serviceUrl: `http://${host}:${replicas[index].service}`,
      sidecarUrl: `http://${host}:${replicas[index].sidecar}`,
    })),
    databaseUrl: environments().service.DATABASE_URL,
    redisUrl,
    checkpointFile: checkpointFile(dataDir, shared),
    bundleDir,
    /** A request through the gateway (see gatewayRequest). */
    request: (path, init = {}) => gatewayRequest({ port: ports.gateway, ca, path, ...init }),
    startPart,
    stopPart,
    stop,
  };
}
