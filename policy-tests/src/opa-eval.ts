import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The repository's opa CLI (scripts/bootstrap.mjs builds it into .tools/bin). */
export const OPA = join(root, '.tools', 'bin', 'opa');

/** The Rego sources and the merged data `npm run policy:build` writes. */
export const POLICY_SOURCES = [join(root, 'policies', 'verdict'), join(root, 'policies', 'build', 'data')];

/** One evaluation: an entrypoint under `data.verdict.authz` and its input. */
export interface Evaluation {
  readonly entrypoint: string;
  readonly input: unknown;
}

/**
 * Evaluates many inputs with `opa eval` on the Rego source in one process: the query is a
 * comprehension over all of them, each with its own `input`. Returns one result per evaluation,
 * `undefined` where the rule is undefined. `TZ=UTC` makes Go's `Local` zone match the engine's.
 */
export async function opaEvalAll(evaluations: readonly Evaluation[]): Promise<unknown[]> {
  const dir = await mkdtemp(join(tmpdir(), 'verdict-policy-tests-'));
  try {
    const inputPath = join(dir, 'input.json');
    await writeFile(inputPath, JSON.stringify({ items: evaluations }));
    // Bind the entrypoint and input first: `with input as item.input` would read `item` from the
    // replaced input.
    const query =
      '{format_int(i, 10): r | some i, item in input.items; entrypoint := item.entrypoint; ' +
      'case_input := item.input; r := data.verdict.authz[entrypoint] with input as case_input}';
    const args = [
      'eval',
      '--format',
      'json',
      ...POLICY_SOURCES.flatMap((p) => ['--data', p]),
      '--input',
      inputPath,
      query,
    ];
    const { stdout } = await run(OPA, args, {
      env: { ...process.env, TZ: 'UTC' },
      maxBuffer: 256 * 1024 * 1024,
    });
    const parsed = JSON.parse(stdout) as { result?: { expressions: { value: Record<string, unknown> }[] }[] };
    const results = parsed.result?.[0]?.expressions[0]?.value;
    if (results === undefined) throw new Error(`opa eval returned no result: ${stdout.slice(0, 500)}`);
    return evaluations.map((_, i) => results[String(i)]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
