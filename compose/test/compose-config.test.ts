/**
 * compose/docker-compose.yml and the Dockerfiles, validated statically (no Docker engine here):
 * Debian's docker-compose accepts the file, hadolint and the project's own rules accept every
 * Dockerfile, and the containers are the local stack's twin — the same variable names, ports and
 * files, and the gateway's template rendered identically by the container's envsubst entrypoint.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { GATEWAY_DIR, renderTemplate, TEMPLATE, templateVariables } from '../stack/gateway.mjs';
import { DEFAULT_PORTS, gatewayValues, partEnvironments, ROOT } from '../stack/local-stack.mjs';
import { lintDockerfile } from './support/dockerfile-lint.js';

interface ComposeService {
  image?: string;
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

const stackEnvironments = partEnvironments({
  ports: DEFAULT_PORTS,
  host: '127.0.0.1',
  dataDir: '/data',
  logLevel: 'info',
  bundlePollS: 10,
});
const stackGateway = gatewayValues({
  ports: DEFAULT_PORTS,
  host: '127.0.0.1',
  dataDir: '/data',
  certificates: { certificate: '/data/gateway/server.pem', key: '/data/gateway/server-key.pem' },
  introspection: 'http://127.0.0.1:8180/token/introspection',
  rateLimit: { rate: '50r/s', burst: 100 },
  workers: 1,
});

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

test("compose gives the authorization server, bundle server, sidecar and service the local stack's variables", (t) => {
  const parts = {
    authServer: 'auth-server',
    bundleServer: 'bundle-server',
    sidecar: 'sidecar',
    service: 'service',
  } as const;
  for (const [part, name] of Object.entries(parts) as [keyof typeof parts, string][]) {
    const names = Object.keys(env(name)).filter((variable) => !CONTAINER_ONLY.has(variable));
    t.deepEqual(names.sort(), Object.keys(stackEnvironments[part]).sort(), name);
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
  const service = env('service');
  const sidecar = env('sidecar');
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
  for (const name of ['auth-server', 'bundle-server', 'service', 'sidecar'])
    t.is(services[name]?.ports, undefined, name);
  t.is(portOf(service.PDP_URL!), DEFAULT_PORTS.sidecar);
  t.is(portOf(sidecar.BUNDLE_URL!), DEFAULT_PORTS.bundles);
  t.is(new URL(sidecar.BUNDLE_URL!).pathname, new URL(stackEnvironments.sidecar.BUNDLE_URL!).pathname);
  t.is(portOf(gateway.SERVICE_UPSTREAM!), DEFAULT_PORTS.service);
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
  const prometheus = readFileSync(join(ROOT, 'compose', 'prometheus', 'prometheus.yml'), 'utf8');
  t.true(prometheus.includes(`'service:${service.ADMIN_PORT}'`));
  t.true(prometheus.includes(`'sidecar:${sidecar.PORT}'`));
});

test("the sidecar shares the service's network namespace; the service trusts exactly the gateway", (t) => {
  t.is(services.sidecar?.network_mode, 'service:service');
  t.is(env('service').PDP_URL, `http://127.0.0.1:${DEFAULT_PORTS.sidecar}`);
  const networks = services.service?.networks as Record<string, { aliases?: string[] }>;
  t.true(networks.verdict?.aliases?.includes('sidecar'), 'Prometheus scrapes the sidecar as sidecar:8181');
  const gateway = services.gateway?.networks as Record<string, { ipv4_address?: string; aliases?: string[] }>;
  t.is(env('service').TRUSTED_PROXIES, gateway.verdict?.ipv4_address);
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
});
