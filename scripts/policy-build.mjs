#!/usr/bin/env node
// Builds the policy bundles from policies/: checks formatting and types of the Rego, validates the
// YAML data against policies/schema (IANA time zones, ISO 4217 currencies, known roles and actions),
// then makes, from the same sources and one content-hash revision,
//   policies/build/bundle.tar.gz       WASM bundle (policy.wasm, data.json, .manifest) for the engine
//   policies/build/rego-bundle.tar.gz  plain Rego bundle for a real OPA
//   policies/build/revision.txt        the revision
//   policies/build/data/               the merged data alone, for `opa test` and `opa eval`
// Both bundles are signed as `opa build --signing-key` signs them (.signatures.json: a JWS over every
// file's hash): with BUNDLE_SIGNING_KEY (a PEM private key: RSA → RS256, EC P-256 → ES256, Ed25519 →
// EdDSA) or else with a development RSA key generated on first use under data/bundle-signing/.
// Usage: node scripts/policy-build.mjs   (npm run policy:build)
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Ajv from 'ajv';
import { parseDocument } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const policies = join(root, 'policies');
const regoDir = join(policies, 'verdict');
const dataDir = join(policies, 'data');
const schemaDir = join(policies, 'schema');
const capabilities = join(policies, 'capabilities.json');
const buildDir = join(policies, 'build');

/** Where the outputs go; `policies/build` is never a source. */
export const OUTPUTS = {
  wasmBundle: join(buildDir, 'bundle.tar.gz'),
  regoBundle: join(buildDir, 'rego-bundle.tar.gz'),
  revision: join(buildDir, 'revision.txt'),
  data: join(buildDir, 'data'),
};

/**
 * The development signing key, made on first use (never committed: data/ is git-ignored). `keys.json`
 * is the public key in OPA's `keys` format, what the sidecar's BUNDLE_PUBLIC_KEYS reads.
 */
export const DEV_SIGNING_KEY = {
  private: join(root, 'data', 'bundle-signing', 'private.pem'),
  public: join(root, 'data', 'bundle-signing', 'public.pem'),
  keys: join(root, 'data', 'bundle-signing', 'keys.json'),
};

/** The contract's entrypoints (ARCHITECTURE.md, Contracts), named once in the sidecar's contract. */
export const ENTRYPOINTS = Object.values(
  JSON.parse(readFileSync(join(root, 'sidecar', 'src', 'contract', 'entrypoints.json'), 'utf8')),
);

/** Namespace of the YAML data in the bundle: data.verdict.config. */
const DATA_NAMESPACE = ['verdict', 'config'];

class BuildError extends Error {}

function say(message) {
  process.stdout.write(`policy-build: ${message}\n`);
}

/** The repository's opa (scripts/bootstrap.mjs builds it), else one on PATH. */
export function opaPath() {
  const local = join(root, '.tools', 'bin', 'opa');
  return existsSync(local) ? local : 'opa';
}

function opa(args, { quiet = false, cwd = root } = {}) {
  const result = spawnSync(opaPath(), args, { cwd, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  if (result.error)
    throw new BuildError(`opa could not start (${result.error.message}); run npm run bootstrap`);
  if (result.status !== 0) {
    throw new BuildError(`opa ${args[0]} failed:\n${`${result.stdout}${result.stderr}`.trim()}`);
  }
  if (!quiet && result.stderr.trim() !== '') process.stderr.write(result.stderr);
  return result.stdout;
}

/** Every file under `dir`, recursively, as absolute paths in a stable order. */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
    .sort();
}

/** The files a build is made from; their content decides the revision. */
export function sourceFiles() {
  return filesUnder(policies).filter((file) => !file.startsWith(buildDir + '/'));
}

/**
 * True when a bundle is missing or older than any source under policies/, or (without
 * BUNDLE_SIGNING_KEY) than the development key, or that key does not exist yet.
 */
export function isStale() {
  const outputs = [OUTPUTS.wasmBundle, OUTPUTS.regoBundle, OUTPUTS.revision, OUTPUTS.data];
  if (!outputs.every((path) => existsSync(path))) return true;
  const devKey = process.env.BUNDLE_SIGNING_KEY?.trim() ? [] : [DEV_SIGNING_KEY.keys];
  if (!devKey.every((path) => existsSync(path))) return true;
  const built = Math.min(...outputs.map((path) => statSync(path).mtimeMs));
  return [...sourceFiles(), ...devKey].some((file) => statSync(file).mtimeMs > built);
}

const rel = (path) => relative(root, path);

// --- data validation ------------------------------------------------------------------------

const timeZones = new Set(Intl.supportedValuesOf('timeZone'));
const currencies = new Set(Intl.supportedValuesOf('currency'));

function isTimeZone(name) {
  if (timeZones.has(name)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return name.includes('/') || name === 'UTC';
  } catch {
    return false;
  }
}

function makeValidator() {
  // The schemas are draft-07, which both ajv 6 and ajv 8 read.
  const ajv = new Ajv({ allErrors: true, jsonPointers: true, verbose: true });
  ajv.addFormat('iana-time-zone', { type: 'string', validate: isTimeZone });
  ajv.addFormat('iso-4217', { type: 'string', validate: (code) => currencies.has(code) });
  for (const file of filesUnder(schemaDir)) ajv.addSchema(JSON.parse(readFileSync(file, 'utf8')));
  return ajv;
}

/** One line for an ajv error (ajv 6 or 8): the JSON pointer of the field, then the problem. */
function describeSchemaError(error) {
  const path = error.instancePath ?? error.dataPath ?? '';
  // A bad field name: ajv reports the name's own error and then a summary; keep the first.
  if (error.keyword === 'propertyNames') return undefined;
  const where = error.propertyName === undefined ? path || '(top level)' : `${path}/${error.propertyName}`;
  if (error.keyword === 'additionalProperties') {
    return `${where}: unknown field "${error.params.additionalProperty}"`;
  }
  if (error.keyword === 'enum') return `${where}: must be one of ${error.params.allowedValues.join(', ')}`;
  if (error.keyword === 'format') return `${where}: "${error.data}" is not a valid ${error.params.format}`;
  return `${where}: ${error.message}`;
}

/** Amount maps keyed by currency, as [JSON pointer, map], for the cross-file currency check. */
function* currencyMaps(file, content) {
  const profiles = [
    ...(content.customer ? [['/customer', content.customer]] : []),
    ...Object.entries(content.roles ?? {}).map(([name, profile]) => [`/roles/${name}`, profile]),
    ...Object.entries(content.service_clients ?? {}).map(([id, profile]) => [
      `/service_clients/${id}`,
      profile,
    ]),
  ];
  for (const [pointer, profile] of profiles) {
    if (profile.approval_limits) yield [file, `${pointer}/approval_limits`, profile.approval_limits];
  }
  for (const [name, map] of Object.entries(content.step_up?.thresholds ?? {})) {
    yield [file, `/step_up/thresholds/${name}`, map];
  }
  if (content.agents?.public_create_max)
    yield [file, '/agents/public_create_max', content.agents.public_create_max];
}

/** Checks a schema cannot express; each problem names the file and the field. */
function semanticProblems(files) {
  const problems = [];
  for (const { path, content } of files) {
    for (const [name, department] of Object.entries(content.departments ?? {})) {
      const { open, close } = department.business_hours;
      if (open >= close) {
        problems.push(
          `${rel(path)}: /departments/${name}/business_hours: open ${open} is not before close ${close}`,
        );
      }
    }
    const profiles = [
      ['/customer', content.customer],
      ...Object.entries(content.roles ?? {}).map(([name, p]) => [`/roles/${name}`, p]),
      ...Object.entries(content.service_clients ?? {}).map(([id, p]) => [`/service_clients/${id}`, p]),
    ].filter(([, profile]) => profile !== undefined);
    for (const [pointer, profile] of profiles) {
      for (const action of profile.pending_only ?? []) {
        if (!profile.actions.includes(action)) {
          problems.push(
            `${rel(path)}: ${pointer}/pending_only: ${action} is not among the profile's actions`,
          );
        }
      }
      const decides = profile.actions.some(
        (a) => a === 'transactions:approve' || a === 'transactions:reject',
      );
      if (decides && !profile.approval_limits) {
        problems.push(`${rel(path)}: ${pointer}: approves or rejects but has no approval_limits`);
      }
    }
  }
  // Every amount map covers the same currencies, so no limit is forgotten for one of them.
  const maps = files.flatMap(({ path, content }) => [...currencyMaps(path, content)]);
  const all = new Set(maps.flatMap(([, , map]) => Object.keys(map)));
  for (const [path, pointer, map] of maps) {
    const lacking = [...all].filter((code) => !(code in map)).sort();
    if (lacking.length > 0) {
      problems.push(`${rel(path)}: ${pointer}: lacks ${lacking.join(', ')} (other amount maps have them)`);
    }
  }
  return problems;
}

/** Reads, validates and merges policies/data/*.yaml; throws with every problem found. */
export function loadData() {
  const ajv = makeValidator();
  const problems = [];
  const files = [];
  for (const path of filesUnder(dataDir)) {
    if (!/\.ya?ml$/.test(path)) {
      problems.push(`${rel(path)}: only .yaml files belong in policies/data`);
      continue;
    }
    const text = readFileSync(path, 'utf8');
    const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (document.errors.length > 0) {
      problems.push(...document.errors.map((error) => `${rel(path)}: ${error.message}`));
      continue;
    }
    const content = document.toJS();
    const schemaId = `https://verdict.example/policies/schema/${basename(path).replace(/\.ya?ml$/, '')}.schema.json`;
    const validate = ajv.getSchema(schemaId);
    if (!validate) {
      problems.push(`${rel(path)}: no schema policies/schema/${basename(schemaId)} for this file`);
      continue;
    }
    if (!validate(content)) {
      for (const line of validate.errors.map(describeSchemaError)) {
        if (line !== undefined) problems.push(`${rel(path)}: ${line}`);
      }
      continue;
    }
    files.push({ path, content });
  }
  // Every data schema (but the shared definitions) needs its data file: a missing file is an error.
  for (const schema of filesUnder(schemaDir)) {
    const name = basename(schema).replace(/\.schema\.json$/, '');
    if (name === 'common') continue;
    if (!files.some(({ path }) => basename(path).replace(/\.ya?ml$/, '') === name)) {
      problems.push(`policies/data/${name}.yaml: missing (policies/schema/${basename(schema)} expects it)`);
    }
  }
  if (problems.length === 0) problems.push(...semanticProblems(files));
  const merged = {};
  const origin = {};
  for (const { path, content } of files) {
    for (const [key, value] of Object.entries(content)) {
      if (key in merged) problems.push(`${rel(path)}: /${key} is also defined in ${rel(origin[key])}`);
      merged[key] = value;
      origin[key] = path;
    }
  }
  if (problems.length > 0) {
    throw new BuildError(`invalid policy data:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  return { merged, files: files.map(({ path }) => path) };
}

// --- signing --------------------------------------------------------------------------------

/** The JWS algorithm for a private key; only the algorithms the sidecar accepts (ARCHITECTURE.md). */
function algorithmOf(key, name) {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  const type =
    key.asymmetricKeyType === 'ec' ? `ec ${key.asymmetricKeyDetails?.namedCurve}` : key.asymmetricKeyType;
  throw new BuildError(`${name}: key type ${type} cannot sign bundles (use RSA, EC P-256 or Ed25519)`);
}

/** Writes `text` to `path` unless it already holds exactly that. */
function writeIfChanged(path, text, mode = 0o644) {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  writeFileSync(path, text, { mode });
}

/** The development key pair, generated (RSA 2048, private key mode 0600) when it does not exist yet. */
function developmentKey() {
  const dir = dirname(DEV_SIGNING_KEY.private);
  if (!existsSync(DEV_SIGNING_KEY.private)) {
    mkdirSync(dirname(dir), { recursive: true });
    if (!existsSync(dir)) mkdirSync(dir, { mode: 0o700 });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    try {
      // `wx`: never overwrite a key another build has just written.
      writeFileSync(DEV_SIGNING_KEY.private, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
        mode: 0o600,
        flag: 'wx',
      });
      say(`generated a development signing key: ${rel(DEV_SIGNING_KEY.private)}`);
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
  }
  return DEV_SIGNING_KEY.private;
}

/**
 * The key the bundles are signed with: BUNDLE_SIGNING_KEY, else the development key. The keyid is
 * derived from the public key, so a rotated key gets a new id and both can be configured at once.
 */
export function signingKey(env = process.env) {
  const given = env.BUNDLE_SIGNING_KEY?.trim();
  const name = given ? 'BUNDLE_SIGNING_KEY' : rel(DEV_SIGNING_KEY.private);
  const path = given ? given : developmentKey();
  let privateKey;
  try {
    privateKey = createPrivateKey(readFileSync(path));
  } catch (error) {
    throw new BuildError(`${name}: ${path} is not a readable PEM private key (${error.message})`);
  }
  const algorithm = algorithmOf(privateKey, name);
  const publicKey = createPublicKey(privateKey);
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' });
  const fingerprint = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' }));
  const keyId = `verdict-${fingerprint.digest('hex').slice(0, 16)}`;
  if (!given) {
    writeIfChanged(DEV_SIGNING_KEY.public, publicPem);
    const keys = { keys: { [keyId]: { algorithm, key: publicPem } } };
    writeIfChanged(DEV_SIGNING_KEY.keys, `${JSON.stringify(keys, null, 2)}\n`);
  }
  return { path, name: given ? `BUNDLE_SIGNING_KEY (${path})` : rel(path), algorithm, keyId };
}

// --- build ----------------------------------------------------------------------------------

/** A content hash of the given files (path and bytes), so equal sources give equal revisions. */
export function revisionOf(files) {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    hash.update(rel(file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function writeJson(path, value) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

function build() {
  const started = Date.now();
  const regoFiles = filesUnder(regoDir).filter((file) => file.endsWith('.rego'));
  if (regoFiles.length === 0) throw new BuildError(`no .rego files under ${rel(regoDir)}`);
  // First, so a bad key fails before anything is written and the outputs are newer than the key.
  const key = signingKey();
  say(`signing with ${key.name}: ${key.algorithm}, keyid ${key.keyId}`);

  say(`opa fmt --list ${rel(regoDir)}`);
  const unformatted = opa(['fmt', '--list', rel(regoDir)]).trim();
  if (unformatted !== '') {
    throw new BuildError(`not opa fmt clean (run: .tools/bin/opa fmt -w policies/verdict):\n${unformatted}`);
  }

  const { merged, files: dataFiles } = loadData();
  say(`validated ${dataFiles.length} data files: ${dataFiles.map((file) => basename(file)).join(', ')}`);

  // The bundles a running sidecar watches are replaced by rename, never rewritten in place: a
  // reader sees the old file or the new one, whole. Everything else in build/ is made afresh.
  rmSync(OUTPUTS.data, { recursive: true, force: true });
  rmSync(join(buildDir, 'bundle-src'), { recursive: true, force: true });
  const dataJson = join(OUTPUTS.data, ...DATA_NAMESPACE, 'data.json');
  writeJson(dataJson, merged);

  say('opa check --strict --capabilities policies/capabilities.json');
  opa(['check', '--strict', '--capabilities', rel(capabilities), rel(regoDir), rel(OUTPUTS.data)]);

  // What goes into the bundles: the Rego, the data and the capabilities (not docs or schemas).
  const revision = revisionOf([...regoFiles, ...dataFiles, capabilities]);
  say(`revision ${revision}`);

  // A bundle directory: the Rego under its package paths, the data under data.verdict.config.
  const staging = join(buildDir, 'bundle-src');
  for (const file of regoFiles) {
    const target = join(staging, relative(policies, file));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(file, target);
  }
  writeJson(join(staging, ...DATA_NAMESPACE, 'data.json'), merged);
  writeJson(join(staging, '.manifest'), { revision, roots: ['verdict'] });

  // Run inside the staging directory so that file names in the bundles start at verdict/.
  const signing = [
    '--signing-key',
    key.path,
    '--signing-alg',
    key.algorithm,
    '--verification-key-id',
    key.keyId,
  ];
  const common = ['--bundle', '.', '--revision', revision, '--capabilities', capabilities, ...signing];
  const entrypoints = ENTRYPOINTS.flatMap((e) => ['-e', e]);
  say(`opa build -t wasm → ${rel(OUTPUTS.wasmBundle)}`);
  opa(['build', '-t', 'wasm', ...entrypoints, ...common, '-o', `${OUTPUTS.wasmBundle}.partial`], {
    cwd: staging,
  });
  renameSync(`${OUTPUTS.wasmBundle}.partial`, OUTPUTS.wasmBundle);
  say(`opa build (rego) → ${rel(OUTPUTS.regoBundle)}`);
  opa(['build', ...common, '-o', `${OUTPUTS.regoBundle}.partial`], { cwd: staging });
  renameSync(`${OUTPUTS.regoBundle}.partial`, OUTPUTS.regoBundle);
  rmSync(staging, { recursive: true, force: true });

  writeFileSync(OUTPUTS.revision, `${revision}\n`);
  const size = (path) => `${(statSync(path).size / 1024).toFixed(1)} KiB`;
  say(
    `done in ${Date.now() - started} ms: bundle.tar.gz ${size(OUTPUTS.wasmBundle)}, ` +
      `rego-bundle.tar.gz ${size(OUTPUTS.regoBundle)}, revision ${revision}, signed by keyid ${key.keyId}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    build();
  } catch (error) {
    process.stderr.write(`policy-build: ${error instanceof BuildError ? error.message : error.stack}\n`);
    process.exit(1);
  }
}
