import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository's `opa` CLI (scripts/bootstrap builds it into .tools/bin). */
export const OPA = fileURLToPath(new URL('../../../.tools/bin/opa', import.meta.url));

/** The Rego and data the engine tests compile. */
export const FIXTURE_POLICY = fileURLToPath(new URL('../fixtures/policy', import.meta.url));

/** Every entrypoint of the fixture policy. */
export const FIXTURE_ENTRYPOINTS = [
  'verdict/authz/decision',
  'verdict/authz/batch',
  'verdict/authz/list_filter',
  'fixture/time/facts',
  'fixture/time/parsed',
  'fixture/misc/echo',
  'fixture/misc/zone_clock',
  'fixture/misc/maybe',
] as const;

/** A temporary directory and a way to remove it. */
export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'verdict-sidecar-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** `opa build -t wasm` of `sources` into `<dir>/bundle.tar.gz`; returns the bundle's path. */
export async function buildWasmBundle(
  dir: string,
  options: { sources?: readonly string[]; entrypoints?: readonly string[]; revision?: string } = {},
): Promise<string> {
  const output = join(dir, 'bundle.tar.gz');
  const entrypoints = (options.entrypoints ?? FIXTURE_ENTRYPOINTS).flatMap((e) => ['-e', e]);
  const revision = options.revision === undefined ? [] : ['--revision', options.revision];
  await run(OPA, [
    'build',
    '-t',
    'wasm',
    ...entrypoints,
    ...revision,
    '-o',
    output,
    ...(options.sources ?? [FIXTURE_POLICY]),
  ]);
  return output;
}

/** What `opa eval` answered: the value of the query's first expression, or its error output. */
export type EvalOutcome = { ok: true; value: unknown } | { ok: false; output: string };

/**
 * `opa eval` of `query` over the fixture policy, with `TZ=UTC` so Go's `Local` zone is UTC like the
 * engine's. `strict` adds `--strict-builtin-errors` (built-in errors fail the query as in WASM).
 */
export async function opaEval(query: string, input: unknown, strict = false): Promise<EvalOutcome> {
  const dir = await tempDir();
  try {
    const inputPath = join(dir.path, 'input.json');
    await writeFile(inputPath, JSON.stringify(input));
    const flags = strict ? ['--strict-builtin-errors'] : [];
    const args = ['eval', '-f', 'json', ...flags, '-d', FIXTURE_POLICY, '-i', inputPath, query];
    try {
      const { stdout } = await run(OPA, args, { env: { ...process.env, TZ: 'UTC' } });
      const parsed = JSON.parse(stdout) as { result?: { expressions: { value: unknown }[] }[] };
      return { ok: true, value: parsed.result?.[0]?.expressions[0]?.value };
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      return { ok: false, output: `${stdout}${stderr}` };
    }
  } finally {
    await dir.remove();
  }
}
