/**
 * compose/docker-compose.yml and the Dockerfiles, validated statically (no Docker engine here):
 * Debian's docker-compose accepts the file, hadolint and the project's own rules accept every
 * Dockerfile, and the containers are the twin of the local stack with two replicas — the same
 * variable names, ports and files, PostgreSQL and Redis, and the gateway's template rendered
 * identically by the container's envsubst entrypoint.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { GATEWAY_DIR, renderTemplate, TEMPLATE, templateVariables } from '../stack/gateway.mjs';
import { DEFAULT_PORTS, gatewayValues, partEnvironments, replicaPorts, ROOT } from '../stack/local-stack.mjs';
import { lintDockerfile } from './support/dockerfile-lint.js';

interface ComposeService {
  image?: string;
  command?: string[];
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition: string }>;
  user?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  network_mode?: string;
  networks?: Record<string, { ipv4_address?: string; aliases?: string[] } | null> | string[];
}

const COMPOSE_FILE = join(ROOT, 'compose', 'docker-compose.yml');
const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;
const DOCKERFILES = [
  'service/Dockerfile',
  'sidecar/Dockerfile',
  'compose/gateway/Dockerfile',
  'auth-server/Dockerfile',
];
/** Variables only a container needs: the development CA the service trusts for the https JWKS. */
// TRUST_PROXY: in compose the authorization server sits behind the gateway's TLS; on the local
// stack it is reached directly on loopback.
const CONTAINER_ONLY = new Set(['NODE_EXTRA_CA_CERTS', 'TRUST_PROXY']);

/** Compose's topology: two replicas (the local stack's `--replicas 2`). */
const REPLICAS = replicaPorts(DEFAULT_PORTS, 2);
const stackEnvironments = partEnvironments({
  ports: DEFAULT_PORTS,
  host: '127.0.0.1',
  dataDir: '/data',
  logLevel: 'info',
  bundlePollS: 10,
  replicas: REPLICAS,
  databaseUrl: 'postgres://verdict@127.0.0.1:5432/verdict',
  redisUrl: 'redis://127.0.0.1:6379',
});
const stackGateway = gatewayValues({
  ports: DEFAULT_PORTS,
  host: '127.0.0.1',
  dataDir: '/data',
  certificates: { certificate: '/data/gateway/server.pem', key: '/data/gateway/server-key.pem' },
  introspection: 'http://127.0.0.1:8180/token/introspection',
  rateLimit: { rate: '50r/s', burst: 100 },
  workers: 1,
  replicas: REPLICAS,
});
/** Compose's replica names, the local stack's part names with two replicas. */
const replicaNames = stackEnvironments.replicas.map((replica) => replica.names);

function env(name: string): Record<string, string> {
  const environment = services[name]?.environment;
  if (environment === undefined) throw new Error(`compose service ${name} has no environment`);
  return environment;
}

function portOf(url: string): number {
  const parsed = new URL(url.includes('://') ? url : `tcp://${url}`);
  return Number(parsed.port);
}

test('docker-compose config accepts the compose file', (t) => {
  const result = spawnSync('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q'], { encoding: 'utf8' });
  t.is(result.error, undefined, 'docker-compose is installed by npm run bootstrap -- --test');
  t.is(result.status, 0, result.stderr);
});

test('hadolint accepts every Dockerfile', (t) => {
  const hadolint = join(ROOT, '.tools', 'venv', 'bin', 'hadolint');
  const result = spawnSync(hadolint, ['--config', join(ROOT, 'compose', 'hadolint.yaml'), ...DOCKERFILES], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  t.is(result.error, undefined, 'hadolint is installed into .tools/venv by npm run bootstrap -- --test');
  t.is(result.status, 0, result.stdout + result.stderr);
});

for (const file of DOCKERFILES) {
  test(`${file}: multi-stage, pinned bases, non-root, HEALTHCHECK, production dependencies, compiled JavaScript`, (t) => {
    t.deepEqual(lintDockerfile(readFileSync(join(ROOT, file), 'utf8')), []);
  });
}

test('the Dockerfile rules catch what they are for', (t) => {
  const good = readFileSync(join(ROOT, 'service', 'Dockerfile'), 'utf8');
  const broken: [string, string, RegExp][] = [
    ['one stage', 'FROM node:20-bookworm-slim\nUSER 1000\nHEALTHCHECK CMD true\n', /multi-stage/],
    [
      'an untagged base',
      good.replace('FROM node:20-bookworm-slim AS runtime', 'FROM node AS runtime'),
      /not pinned/,
    ],
    ['latest', good.replace('FROM node:20-bookworm-slim AS deps', 'FROM node:latest AS deps'), /not pinned/],
    ['root', good.replace('USER 1000:1000', 'USER root'), /runs as root/],
    ['no USER', good.replace('USER 1000:1000', ''), /no USER/],
    ['no HEALTHCHECK', good.replace(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, ''), /no HEALTHCHECK/],
    ['dev dependencies', good.replace('--omit=dev', ''), /--omit=dev/],
    [
      'tsx',
      good.replace('"service/dist/server.js"', '"tsx", "service/src/server.ts"'),
      /compiled JavaScript/,
    ],
  ];
  for (const [what, text, problem] of broken) {
    t.true(
      lintDockerfile(text).some((found) => problem.test(found)),
      what,
    );
  }
});

test("compose gives the authorization server, bundle server and every sidecar and service the local stack's variables", (t) => {
  const expected: [string, Readonly<Record<string, string>>][] = [
    ['auth-server', stackEnvironments.authServer],
    ['bundle-server', stackEnvironments.bundleServer],
    ...stackEnvironments.replicas.flatMap((replica): [string, Readonly<Record<string, string>>][] => [
      [replica.names.sidecar, replica.sidecar],
      [replica.names.service, replica.service],
    ]),
  ];
  t.deepEqual(replicaNames, [
    { sidecar: 'sidecar-1', service: 'service-1' },
    { sidecar: 'sidecar-2', service: 'service-2' },
  ]);
  for (const [name, stack] of expected) {
    const names = Object.keys(env(name)).filter((variable) => !CONTAINER_ONLY.has(variable));
    t.deepEqual(names.sort(), Object.keys(stack).sort(), name);
  }
  const [first, ...others] = replicaNames;
  for (const other of others) {
    t.deepEqual(env(other.service), env(first!.service), 'the replicas are configured alike');
    t.deepEqual(env(other.sidecar), env(first!.sidecar), 'their sidecars too');
  }
});

test("compose gives the gateway exactly the template's variables, as the local stack does", (t) => {
  const variables = templateVariables(readFileSync(TEMPLATE, 'utf8')).filter(
    (name) => name !== 'RUN_DIR' && name !== 'GATEWAY_DIR',
  );
  t.deepEqual(Object.keys(env('gateway')).sort(), variables);
  t.deepEqual(Object.keys(stackGateway).sort(), variables);
});

test("compose uses the local stack's ports and settings", (t) => {
  const gateway = env('gateway');
  const service = env('service-1');
  const sidecar = env('sidecar-1');
  t.is(Number(env('auth-server').PORT), DEFAULT_PORTS.authServer);
  t.is(Number(env('bundle-server').PORT), DEFAULT_PORTS.bundles);
  t.is(Number(service.PORT), DEFAULT_PORTS.service);
  t.is(Number(service.ADMIN_PORT), DEFAULT_PORTS.admin);
  t.is(Number(sidecar.PORT), DEFAULT_PORTS.sidecar);
  t.is(Number(gateway.GATEWAY_LISTEN), DEFAULT_PORTS.gateway);
  t.deepEqual(
    services.gateway?.ports,
    [`${DEFAULT_PORTS.gateway}:${DEFAULT_PORTS.gateway}`],
    'only the gateway is published',
  );
  for (const name of ['auth-server', 'bundle-server', 'postgres', 'redis', 'seed'])
    t.is(services[name]?.ports, undefined, name);
  for (const { sidecar: sidecarName, service: serviceName } of replicaNames) {
    t.is(services[serviceName]?.ports, undefined, serviceName);
    t.is(services[sidecarName]?.ports, undefined, sidecarName);
  }
  t.is(portOf(service.PDP_URL!), DEFAULT_PORTS.sidecar);
  t.is(portOf(sidecar.BUNDLE_URL!), DEFAULT_PORTS.bundles);
  t.is(new URL(sidecar.BUNDLE_URL!).pathname, new URL(stackEnvironments.sidecar.BUNDLE_URL!).pathname);
  const upstreams = gateway.SERVICE_UPSTREAMS!.split(' ');
  t.deepEqual(
    upstreams.map((address) => address.split(':')[0]),
    replicaNames.map((names) => names.service),
    'the gateway balances over every replica',
  );
  t.is(upstreams.length, stackGateway.SERVICE_UPSTREAMS!.split(' ').length);
  for (const address of upstreams) t.is(portOf(address), DEFAULT_PORTS.service);
  t.is(portOf(gateway.AUTH_SERVER_UPSTREAM!), DEFAULT_PORTS.authServer);
  t.is(portOf(gateway.INTROSPECTION_URL!), DEFAULT_PORTS.authServer);
  t.is(portOf(gateway.RESOURCE_URL!), DEFAULT_PORTS.gateway);
  t.is(service.RESOURCE_URL, gateway.RESOURCE_URL);
  t.is(service.RESOURCE_URL, stackEnvironments.service.RESOURCE_URL);
  for (const name of [
    'API_AUDIENCE',
    'GATEWAY_CLIENT_ID',
    'PHANTOM_CACHE_MAX_S',
    'RATE_LIMIT',
    'RATE_LIMIT_BURST',
    'SERVER_NAME',
  ])
    t.is(gateway[name], stackGateway[name], name);
  for (const name of ['JWT_AUDIENCE', 'PDP_MODE']) t.is(service[name], stackEnvironments.service[name], name);
  t.is(env('auth-server').API_AUDIENCE, stackEnvironments.authServer.API_AUDIENCE);
  t.is(service.JWT_ISSUER, env('auth-server').ISSUER);
  t.is(service.AUTHORIZATION_SERVERS, env('auth-server').ISSUER);
  const prometheus = parse(readFileSync(join(ROOT, 'compose', 'prometheus', 'prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  const targets = (job: string) =>
    prometheus.scrape_configs
      .filter((config) => config.job_name === job)
      .flatMap((config) => config.static_configs.flatMap((config) => config.targets));
  t.deepEqual(
    targets('verdict-service'),
    replicaNames.map((names) => `${names.service}:${service.ADMIN_PORT}`),
    'Prometheus scrapes every replica',
  );
  t.deepEqual(
    targets('verdict-sidecar'),
    replicaNames.map((names) => `${names.sidecar}:${sidecar.PORT}`),
    'and every sidecar',
  );
});

test('every replica on the one PostgreSQL and the one Redis, seeded once; no password committed', (t) => {
  const raw = readFileSync(COMPOSE_FILE, 'utf8');
  for (const { service: name } of replicaNames) {
    const database = new URL(env(name).DATABASE_URL!);
    t.is(database.protocol, 'postgres:', name);
    t.is(database.hostname, 'postgres');
    t.is(database.port, '5432');
    t.is(
      decodeURIComponent(database.password),
      '${POSTGRES_PASSWORD:-verdict-dev-only}',
      'interpolated, with a marked default',
    );
    t.is(env(name).REDIS_URL, 'redis://redis:6379', name);
    t.like(services[name]?.depends_on, {
      seed: { condition: 'service_completed_successfully' },
      redis: { condition: 'service_healthy' },
    });
    t.true(services[name]?.volumes?.includes('service-data:/app/data'), 'the audit key and checkpoints');
  }
  t.is(env('postgres').POSTGRES_PASSWORD, '${POSTGRES_PASSWORD:-verdict-dev-only}');
  t.regex(raw, /DEVELOPMENT-ONLY placeholder/);
  t.deepEqual(services.postgres?.healthcheck?.test?.slice(0, 2), ['CMD', 'pg_isready']);
  t.deepEqual(services.redis?.healthcheck?.test, ['CMD', 'redis-cli', 'ping']);
  t.is(env('seed').DATABASE_URL, env('service-1').DATABASE_URL);
  t.like(services.seed?.depends_on, { postgres: { condition: 'service_healthy' } });
  t.regex(services.seed?.command?.join(' ') ?? '', /seed-cli\.js "\$\$DATABASE_URL"/);
  t.true(services.postgres?.volumes?.some((volume) => volume.startsWith('postgres-data:')));
});

test("each sidecar shares its service's network namespace; every service trusts exactly the gateway", (t) => {
  const gateway = services.gateway?.networks as Record<string, { ipv4_address?: string; aliases?: string[] }>;
  for (const { sidecar, service } of replicaNames) {
    t.is(services[sidecar]?.network_mode, `service:${service}`);
    t.is(env(service).PDP_URL, `http://127.0.0.1:${DEFAULT_PORTS.sidecar}`);
    const networks = services[service]?.networks as Record<string, { aliases?: string[] }>;
    t.deepEqual(networks.verdict?.aliases, [sidecar], `Prometheus scrapes the sidecar as ${sidecar}:8181`);
    t.is(env(service).TRUSTED_PROXIES, gateway.verdict?.ipv4_address);
  }
  t.deepEqual(gateway.verdict?.aliases?.sort(), ['api.demo.example', 'auth.demo.example']);
});

test('compose mounts the files the local stack uses', (t) => {
  const volumes = Object.values(services).flatMap((service) => service.volumes ?? []);
  for (const source of [
    './stack/bundle-server.mjs',
    '../policies/build',
    '../data/bundle-signing/keys.json',
    '../data/gateway/server.pem',
    '../data/gateway/server-key.pem',
    '../data/gateway/ca.pem',
    './prometheus/prometheus.yml',
    './prometheus/alerts.yml',
    './grafana/provisioning',
    './grafana/dashboards',
  ])
    t.true(
      volumes.some((volume) => volume.startsWith(`${source}:`)),
      source,
    );
});

test('the gateway image holds every file of compose/gateway the template uses', (t) => {
  const dockerfile = readFileSync(join(ROOT, 'compose', 'gateway', 'Dockerfile'), 'utf8');
  const template = readFileSync(TEMPLATE, 'utf8');
  const used = readdirSync(GATEWAY_DIR).filter(
    (file) => file === 'nginx.conf.template' || template.includes('${GATEWAY_DIR}/' + file),
  );
  t.deepEqual(used.sort(), [
    'nginx.conf.template',
    'phantom.js',
    'proxy-headers.conf',
    'security-headers.conf',
  ]);
  for (const file of [...used, 'entrypoint.sh']) t.true(dockerfile.includes(`compose/gateway/${file}`), file);
});

test("the gateway image's build checks the template with a value for each of its variables", (t) => {
  const dockerfile = readFileSync(join(ROOT, 'compose', 'gateway', 'Dockerfile'), 'utf8');
  const check = /RUN openssl req[\s\S]*?nginx-config-checked/.exec(dockerfile)?.[0] ?? '';
  const unset = templateVariables(readFileSync(TEMPLATE, 'utf8')).filter(
    (name) => name !== 'GATEWAY_DIR' && !new RegExp(`(^|\\s)${name}=`).test(check),
  );
  t.deepEqual(unset, [], 'nginx -t at build time would stop on these');
  t.regex(check, /SERVICE_UPSTREAMS='127\.0\.0\.1:8080 127\.0\.0\.1:8090'/, 'a list of two upstreams');
});

test("the container's envsubst entrypoint renders the template as the local stack does", (t) => {
  const runDir = mkdtempSync(join(tmpdir(), 'verdict-render-'));
  t.teardown(() => rmSync(runDir, { recursive: true, force: true }));
  const values = { ...stackGateway, RUN_DIR: runDir, GATEWAY_DIR };
  const rendered = spawnSync('sh', [join(GATEWAY_DIR, 'entrypoint.sh'), 'render'], {
    env: { PATH: process.env.PATH ?? '', ...values },
    encoding: 'utf8',
  });
  t.is(rendered.status, 0, rendered.stderr);
  t.is(rendered.stdout, renderTemplate(readFileSync(TEMPLATE, 'utf8'), values));
  t.false(rendered.stdout.includes('${'), 'every variable filled');
  const missing = spawnSync('sh', [join(GATEWAY_DIR, 'entrypoint.sh'), 'render'], {
    env: { PATH: process.env.PATH ?? '', ...values, RESOURCE_URL: undefined },
    encoding: 'utf8',
  });
  t.is(missing.status, 2);
  t.regex(missing.stderr, /RESOURCE_URL is not set/);
  for (const [list, problem] of [
    ['', /SERVICE_UPSTREAMS names no upstream/],
    ['127.0.0.1:8080 evil;include', /SERVICE_UPSTREAMS holds "evil;include", not a host:port/],
  ] as const) {
    const bad = spawnSync('sh', [join(GATEWAY_DIR, 'entrypoint.sh'), 'render'], {
      env: { PATH: process.env.PATH ?? '', ...values, SERVICE_UPSTREAMS: list },
      encoding: 'utf8',
    });
    t.is(bad.status, 2, list);
    t.regex(bad.stderr, problem);
    t.throws(() => renderTemplate(readFileSync(TEMPLATE, 'utf8'), { ...values, SERVICE_UPSTREAMS: list }), {
      message: problem,
    });
  }
});

test('the upstream block holds one server per replica; one replica renders as before', (t) => {
  const template = readFileSync(TEMPLATE, 'utf8');
  const upstream = (values: Record<string, string>) =>
    /upstream verdict_service \{\n\s*(.*)\n\s*keepalive 16;/.exec(
      renderTemplate(template, { ...values, RUN_DIR: '/run', GATEWAY_DIR }),
    )?.[1];
  t.is(upstream(stackGateway), 'server 127.0.0.1:8080; server 127.0.0.1:8090;');
  const single = gatewayValues({
    ports: DEFAULT_PORTS,
    host: '127.0.0.1',
    dataDir: '/data',
    certificates: { certificate: '/c.pem', key: '/k.pem' },
    introspection: 'http://127.0.0.1:8180/token/introspection',
    rateLimit: { rate: '50r/s', burst: 100 },
    workers: 1,
  });
  t.is(upstream(single), 'server 127.0.0.1:8080;', 'the line the template had before replicas');
});
