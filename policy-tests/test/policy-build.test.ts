import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

// The policy build on a copy of policies/ with one data file changed: a bad file fails the build
// with the file's name and the field's path; the untouched copy builds the same revision. Both
// bundles are signed, by BUNDLE_SIGNING_KEY or a development key made on first use under data/.

const root = fileURLToPath(new URL('../..', import.meta.url));

interface BuildRun {
  status: number | null;
  output: string;
  dir: string;
}

/** The files the build reads besides policies/. */
const BUILD_FILES = [
  join('scripts', 'policy-build.mjs'),
  join('sidecar', 'src', 'contract', 'entrypoints.json'),
];

/** Runs scripts/policy-build.mjs in `dir` (a copy made by {@link buildCopy}) with extra variables. */
function runBuild(dir: string, env: Readonly<Record<string, string>> = {}): BuildRun {
  const base: Record<string, string | undefined> = { ...process.env };
  delete base.BUNDLE_SIGNING_KEY;
  const result = spawnSync(process.execPath, [join(dir, 'scripts', 'policy-build.mjs')], {
    encoding: 'utf8',
    env: { ...base, PATH: `${join(root, '.tools', 'bin')}:${process.env.PATH ?? ''}`, ...env },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}`, dir };
}

/** Runs scripts/policy-build.mjs on a temporary copy of policies/ after `change` edits it. */
function buildCopy(change: (policies: string) => void, env: Readonly<Record<string, string>> = {}): BuildRun {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-policy-build-'));
  cpSync(join(root, 'policies'), join(dir, 'policies'), {
    recursive: true,
    filter: (source) => !source.includes(join('policies', 'build')),
  });
  for (const file of BUILD_FILES) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(root, file), join(dir, file));
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  change(join(dir, 'policies'));
  return runBuild(dir, env);
}

function edit(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, 'utf8');
  const changed = text.replace(from, to);
  if (changed === text) throw new Error(`${file}: nothing to replace for ${String(from)}`);
  writeFileSync(file, changed);
}

const broken: [string, (policies: string) => void, RegExp][] = [
  [
    'a missing data file',
    (p) => {
      rmSync(join(p, 'data', 'agents.yaml'));
    },
    /policies\/data\/agents\.yaml: missing \(policies\/schema\/agents\.schema\.json expects it\)/,
  ],
  [
    'an unknown time zone',
    (p) => edit(join(p, 'data', 'departments.yaml'), 'Europe/Zurich', 'Europe/Zurch'),
    /policies\/data\/departments\.yaml: \/departments\/private\/time_zone: "Europe\/Zurch" is not a valid iana-time-zone/,
  ],
  [
    'a currency code that is not ISO 4217',
    (p) => edit(join(p, 'data', 'roles.yaml'), 'GBP: 4000000', 'GBX: 4000000'),
    /policies\/data\/roles\.yaml: \/roles\/manager\/approval_limits\/GBX: "GBX" is not a valid iso-4217/,
  ],
  [
    'an unknown role',
    (p) => edit(join(p, 'data', 'roles.yaml'), '  auditor:', '  inspector:'),
    /policies\/data\/roles\.yaml: \/roles\/inspector: must be one of support, manager, auditor, admin/,
  ],
  [
    'an unknown action',
    (p) => edit(join(p, 'data', 'service-clients.yaml'), '- audit:read', '- audit:write'),
    /policies\/data\/service-clients\.yaml: \/service_clients\/audit-exporter\/actions\/0: must be one of/,
  ],
  [
    'an unknown field',
    (p) => edit(join(p, 'data', 'step-up.yaml'), 'max_age: 300', 'max_age: 300\n  max_agee: 600'),
    /policies\/data\/step-up\.yaml: \/step_up: unknown field "max_agee"/,
  ],
  [
    'business hours that close before they open',
    (p) => edit(join(p, 'data', 'departments.yaml'), 'close: "17:00"', 'close: "08:00"'),
    /policies\/data\/departments\.yaml: \/departments\/retail\/business_hours: open 09:00 is not before close 08:00/,
  ],
  [
    'an amount map without a currency the others have',
    (p) => edit(join(p, 'data', 'agents.yaml'), /\n\s+CHF: 50000/, ''),
    /policies\/data\/agents\.yaml: \/agents\/public_create_max: lacks CHF/,
  ],
  [
    'a YAML syntax error',
    (p) => edit(join(p, 'data', 'agents.yaml'), 'EUR: 50000', 'EUR: [50000'),
    /policies\/data\/agents\.yaml: /,
  ],
  [
    'a data file without a schema',
    (p) => writeFileSync(join(p, 'data', 'fees.yaml'), 'fees: {}\n'),
    /policies\/data\/fees\.yaml: no schema policies\/schema\/fees\.schema\.json/,
  ],
  [
    'Rego that is not opa fmt clean',
    (p) => edit(join(p, 'verdict', 'authz', 'reasons', 'reasons.rego'), 'messages := {', 'messages   := {'),
    /not opa fmt clean[^\n]*\n[^\n]*reasons\.rego/,
  ],
];

for (const [problem, change, message] of broken) {
  test(`policy build fails on ${problem}, naming the file and field`, (t) => {
    const run = buildCopy(change);
    try {
      t.is(run.status, 1, run.output);
      t.regex(run.output, message);
    } finally {
      rmSync(run.dir, { recursive: true, force: true });
    }
  });
}

function revisionOf(run: BuildRun): string {
  return readFileSync(join(run.dir, 'policies', 'build', 'revision.txt'), 'utf8');
}

test('the revision is a content hash of the sources', (t) => {
  const runs = [
    buildCopy(() => undefined),
    buildCopy(() => undefined),
    buildCopy((p) => edit(join(p, 'data', 'step-up.yaml'), 'max_age: 300', 'max_age: 301')),
  ];
  try {
    for (const run of runs) t.is(run.status, 0, run.output);
    const [first, second, changed] = runs.map(revisionOf);
    t.regex(first!, /^[0-9a-f]{16}\n$/);
    t.is(second, first, 'the same sources give the same revision');
    t.not(changed, first, 'changed data gives another revision');
  } finally {
    for (const run of runs) rmSync(run.dir, { recursive: true, force: true });
  }
});

// --- signing ---------------------------------------------------------------------------------

const OPA = join(root, '.tools', 'bin', 'opa');
const bundlePath = (run: BuildRun, name: string) => join(run.dir, 'policies', 'build', name);
const devKey = (run: BuildRun, name: string) => join(run.dir, 'data', 'bundle-signing', name);

/** Unpacks `bundle` with tar into a fresh directory; returns it and the archive's file names (`/…`). */
function unpack(bundle: string): { dir: string; names: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-unpacked-'));
  const listed = spawnSync('tar', ['-tzf', bundle], { encoding: 'utf8' });
  const extracted = spawnSync('tar', ['-xzf', bundle, '-C', dir], { encoding: 'utf8' });
  if (listed.status !== 0 || extracted.status !== 0) throw new Error(`tar failed on ${bundle}`);
  const names = listed.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `/${line.replace(/^\/+/, '')}`);
  return { dir, names };
}

/** A bundle's file names and the decoded header and payload of its one JWS. */
function signatureOf(bundle: string): {
  names: string[];
  header: { alg?: string; kid?: string };
  payload: { files?: { name: string; algorithm: string }[] };
} {
  const { dir, names } = unpack(bundle);
  try {
    const { signatures } = JSON.parse(readFileSync(join(dir, '.signatures.json'), 'utf8')) as {
      signatures: string[];
    };
    const [header, payload] = (signatures[0] ?? '')
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    return { names, header, payload };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the first build makes a development key under data/bundle-signing (private.pem 0600), signs both bundles with it and says so; the next build reuses it', (t) => {
  const first = buildCopy(() => undefined);
  try {
    t.is(first.status, 0, first.output);
    t.is(statSync(devKey(first, 'private.pem')).mode & 0o777, 0o600);
    t.regex(readFileSync(devKey(first, 'public.pem'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
    const keys = JSON.parse(readFileSync(devKey(first, 'keys.json'), 'utf8')) as {
      keys: Record<string, { algorithm: string; key: string }>;
    };
    const [keyId, entry] = Object.entries(keys.keys)[0]!;
    t.regex(keyId, /^verdict-[0-9a-f]{16}$/);
    t.is(entry.algorithm, 'RS256');
    t.is(entry.key, readFileSync(devKey(first, 'public.pem'), 'utf8'));
    t.regex(first.output, /generated a development signing key: data\/bundle-signing\/private\.pem/);
    t.true(first.output.includes(`signing with data/bundle-signing/private.pem: RS256, keyid ${keyId}`));

    for (const name of ['bundle.tar.gz', 'rego-bundle.tar.gz']) {
      const { names, header, payload } = signatureOf(bundlePath(first, name));
      t.deepEqual(header, { alg: 'RS256', kid: keyId, typ: 'JWT' }, name);
      const signedNames = (payload.files ?? []).map((file) => `/${file.name}`).sort();
      const bundleNames = names.filter((path) => path !== '/.signatures.json').sort();
      t.deepEqual(signedNames, bundleNames, `${name}: every file is in the signature`);
      t.true((payload.files ?? []).every((file) => file.algorithm === 'SHA-256'));
    }

    const privateKey = readFileSync(devKey(first, 'private.pem'));
    const second = runBuild(first.dir);
    t.is(second.status, 0, second.output);
    t.notRegex(second.output, /generated a development signing key/);
    t.true(second.output.includes(`keyid ${keyId}`));
    t.deepEqual(readFileSync(devKey(second, 'private.pem')), privateKey);
  } finally {
    rmSync(first.dir, { recursive: true, force: true });
  }
});

test('BUNDLE_SIGNING_KEY signs with the given key (EC P-256 → ES256) and no development key is made', (t) => {
  const keyDir = mkdtempSync(join(tmpdir(), 'verdict-signing-key-'));
  const keyPath = join(keyDir, 'release.pem');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const run = buildCopy(() => undefined, { BUNDLE_SIGNING_KEY: keyPath });
  try {
    t.is(run.status, 0, run.output);
    t.regex(
      run.output,
      new RegExp(`signing with BUNDLE_SIGNING_KEY \\(${keyPath}\\): ES256, keyid verdict-[0-9a-f]{16}`),
    );
    t.false(existsSync(join(run.dir, 'data', 'bundle-signing')));
    for (const name of ['bundle.tar.gz', 'rego-bundle.tar.gz']) {
      t.is(signatureOf(bundlePath(run, name)).header.alg, 'ES256', name);
    }
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
    rmSync(keyDir, { recursive: true, force: true });
  }
});

const badKeys: [string, (path: string) => void, RegExp][] = [
  ['a missing file', () => undefined, /BUNDLE_SIGNING_KEY: .* is not a readable PEM private key/],
  [
    'a public key',
    (path) =>
      writeFileSync(path, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' })),
    /BUNDLE_SIGNING_KEY: .* is not a readable PEM private key/,
  ],
  [
    'an EC P-384 key',
    (path) =>
      writeFileSync(
        path,
        generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({
          type: 'pkcs8',
          format: 'pem',
        }),
      ),
    /BUNDLE_SIGNING_KEY: key type ec secp384r1 cannot sign bundles/,
  ],
];

for (const [problem, write, message] of badKeys) {
  test(`BUNDLE_SIGNING_KEY that is ${problem} fails the build, naming the variable, and writes no bundle`, (t) => {
    const keyDir = mkdtempSync(join(tmpdir(), 'verdict-signing-key-'));
    const keyPath = join(keyDir, 'key.pem');
    write(keyPath);
    const run = buildCopy(() => undefined, { BUNDLE_SIGNING_KEY: keyPath });
    try {
      t.is(run.status, 1, run.output);
      t.regex(run.output, message);
      t.false(existsSync(bundlePath(run, 'bundle.tar.gz')));
    } finally {
      rmSync(run.dir, { recursive: true, force: true });
      rmSync(keyDir, { recursive: true, force: true });
    }
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `opa run --server --verification-key <public.pem> --bundle <bundle>`: its answer to a decision, or why it exited. */
async function opaRun(
  publicPem: string,
  bundle: string,
  input: unknown,
): Promise<{ exited: true; output: string } | { exited: false; status: number; body: any }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const opa = spawn(OPA, [
    'run',
    '--server',
    '--addr',
    `127.0.0.1:${port}`,
    '--verification-key',
    publicPem,
    '--bundle',
    bundle,
    '--log-level',
    'error',
  ]);
  let output = '';
  opa.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  opa.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (opa.exitCode !== null) return { exited: true, output };
      const up = await fetch(`${base}/health?bundles`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) {
        const response = await fetch(`${base}/v1/data/verdict/authz/decision`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ input }),
        });
        return { exited: false, status: response.status, body: await response.json() };
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`opa run neither answered nor exited:\n${output}`);
  } finally {
    opa.kill('SIGKILL');
  }
}

const bobReadsAlice = {
  subject: { claims: { sub: 'bob', client_id: 'web-app', scope: 'transactions:read' } },
  action: 'transactions:read',
  resource: {
    type: 'transaction',
    id: 'tx-alice-pending',
    owner: 'alice',
    department: 'retail',
    amount_minor: 12050,
    currency: 'EUR',
    category: 'groceries',
    status: 'pending',
    created_at: '2026-11-20T09:30:00Z',
    account: { id: 'acc-alice', owner: 'alice', department: 'retail', status: 'open' },
  },
  environment: { now: '2026-11-23T10:00:00Z', request_id: 'req-opa', ip: '203.0.113.7' },
};

test('a real opa run --server --verification-key data/bundle-signing/public.pem accepts the signed Rego bundle; an edited copy is refused', async (t) => {
  const run = buildCopy(() => undefined);
  try {
    t.is(run.status, 0, run.output);
    const publicPem = devKey(run, 'public.pem');
    const accepted = await opaRun(publicPem, bundlePath(run, 'rego-bundle.tar.gz'), bobReadsAlice);
    if (accepted.exited) throw new Error(`opa run refused the signed bundle:\n${accepted.output}`);
    t.is(accepted.status, 200);
    t.like(accepted.body.result, { allow: false, visible: false });

    // The attack on the Rego bundle: customers reach everything, the signature left as it was.
    const { dir: unpacked, names } = unpack(bundlePath(run, 'rego-bundle.tar.gz'));
    const dataPath = join(unpacked, 'data.json');
    const data = JSON.parse(readFileSync(dataPath, 'utf8')) as {
      verdict: { config: { customer: { reach: string } } };
    };
    t.is(data.verdict.config.customer.reach, 'own');
    data.verdict.config.customer.reach = 'all';
    writeFileSync(dataPath, JSON.stringify(data));
    const tampered = join(run.dir, 'tampered.tar.gz');
    const packed = spawnSync('tar', [
      '-czf',
      tampered,
      '-C',
      unpacked,
      ...names.map((name) => name.slice(1)),
    ]);
    rmSync(unpacked, { recursive: true, force: true });
    t.is(packed.status, 0, String(packed.stderr));
    const refused = await opaRun(publicPem, tampered, bobReadsAlice);
    t.true(refused.exited, 'opa run refuses to start on the edited bundle');
    if (refused.exited) t.regex(refused.output, /data\.json: digest mismatch/);
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
  }
});
