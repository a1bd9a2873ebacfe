import test from 'ava';
import { OPAClient } from '@open-policy-agent/opa';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ensureBundle, WASM_BUNDLE } from '../src/bundle.js';
import { loadCases, normalize, type Case } from '../src/cases.js';
import { OPA } from '../src/opa-eval.js';

// Every case of the decision tables over HTTP: the official OPA TypeScript client against the real
// sidecar process (WASM bundle), and the same requests against a real `opa run --server` loaded with
// the Rego bundle of the same revision. Both must answer each case as the table expects, alike.

const root = new URL('../..', import.meta.url).pathname;
const REGO_BUNDLE = join(root, 'policies', 'build', 'rego-bundle.tar.gz');
const SIDECAR_MAIN = join(root, 'sidecar', 'src', 'main.ts');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function ready(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health?bundles`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not become ready`);
}

ensureBundle();
const cases = loadCases();
const children: ChildProcess[] = [];
let sidecarUrl = '';
let opaUrl = '';

test.before(async () => {
  const [sidecarPort, opaPort] = [await freePort(), await freePort()];
  sidecarUrl = `http://127.0.0.1:${sidecarPort}`;
  opaUrl = `http://127.0.0.1:${opaPort}`;
  const sidecar = spawn(process.execPath, ['--import', 'tsx', SIDECAR_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(sidecarPort),
      BUNDLE_PATH: WASM_BUNDLE,
      DECISION_LOG: 'off',
    },
    stdio: 'ignore',
  });
  const opa = spawn(
    OPA,
    [
      'run',
      '--server',
      '--addr',
      `127.0.0.1:${opaPort}`,
      // policy:build signs the bundles; without BUNDLE_SIGNING_KEY with this development key.
      '--verification-key',
      join(root, 'data', 'bundle-signing', 'public.pem'),
      '--bundle',
      REGO_BUNDLE,
      '--log-level',
      'error',
    ],
    {
      stdio: 'ignore',
    },
  );
  children.push(sidecar, opa);
  await Promise.all([ready(sidecarUrl, sidecar, 'the sidecar'), ready(opaUrl, opa, 'opa run --server')]);
});

test.after.always(() => {
  for (const child of children) child.kill('SIGKILL');
});

async function post(base: string, c: Case): Promise<{ status: number; result: unknown; revision: unknown }> {
  const response = await fetch(`${base}/v1/data/verdict/authz/${c.entrypoint}?provenance=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: c.input }),
  });
  const body = (await response.json()) as {
    result?: unknown;
    provenance?: { bundles?: Record<string, { revision?: string }> };
  };
  const revision = Object.values(body.provenance?.bundles ?? {})[0]?.revision;
  return { status: response.status, result: body.result, revision };
}

test('the official OPA client gets every case’s expected result from the sidecar (evaluate)', async (t) => {
  const client = new OPAClient(sidecarUrl);
  const wrong: string[] = [];
  for (const c of cases) {
    const result = await client.evaluate(`verdict/authz/${c.entrypoint}`, c.input as never);
    const actual = normalize(c.entrypoint, result);
    if (!isDeepStrictEqual(actual, c.expected)) {
      wrong.push(
        `${c.name}\n  expected: ${JSON.stringify(c.expected)}\n  actual:   ${JSON.stringify(actual)}`,
      );
    }
  }
  t.deepEqual(wrong, [], `${wrong.length} of ${cases.length} cases differ`);
  t.true(cases.length >= 150);
});

test('the official OPA client: evaluateBatch over every decision case in one call', async (t) => {
  const client = new OPAClient(sidecarUrl);
  const decisionCases = cases.filter((c) => c.entrypoint === 'decision');
  const inputs = Object.fromEntries(decisionCases.map((c, i) => [`c${i}`, c.input]));
  const answers = await client.evaluateBatch('verdict/authz/decision', inputs, {
    rejectMixed: true,
  });
  const wrong = decisionCases.filter(
    (c, i) => !isDeepStrictEqual(normalize('decision', answers[`c${i}`]), c.expected),
  );
  t.deepEqual(
    wrong.map((c) => c.name),
    [],
  );
  t.is(Object.keys(answers).length, decisionCases.length);
});

test('a real opa run --server on the Rego bundle of the same revision answers every case identically', async (t) => {
  const differences: string[] = [];
  let revisions = new Set<unknown>();
  for (const c of cases) {
    const [fromSidecar, fromOpa] = await Promise.all([post(sidecarUrl, c), post(opaUrl, c)]);
    revisions = new Set([...revisions, fromSidecar.revision, fromOpa.revision]);
    if (fromSidecar.status !== fromOpa.status || !isDeepStrictEqual(fromSidecar.result, fromOpa.result)) {
      differences.push(
        `${c.name}\n  sidecar: ${fromSidecar.status} ${JSON.stringify(fromSidecar.result)}\n  opa:     ${fromOpa.status} ${JSON.stringify(fromOpa.result)}`,
      );
    }
  }
  t.deepEqual(differences, [], `${differences.length} of ${cases.length} cases differ`);
  t.is(revisions.size, 1, `one revision on both sides: ${[...revisions].join(', ')}`);
});
