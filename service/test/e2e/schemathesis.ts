/**
 * The `npm test` fuzzing step: starts the service on a loopback ephemeral port (a temp SQLite DB, a
 * real JWKS, the real policy bundle, a frozen clock, demo data) and runs
 * `schemathesis run --checks all` over its own /openapi.json once per caller, bounded in examples.
 * Any failure or any 5xx fails the step. Run: `node --import tsx service/test/e2e/schemathesis.ts`
 * (`--seed N` for another seed than the fixed one).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDemoData } from '../../src/dev/seed.js';
import { CUSTOMER_SCOPES, FROZEN_NOW_MS, Harness } from '../support/harness.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SCHEMATHESIS = join(ROOT, '.tools', 'venv', 'bin', 'schemathesis');
/** The checks' settings; the test data found at run time is appended to a copy of it. */
const CONFIG = join(import.meta.dirname, 'schemathesis.toml');
/** Test cases per operation and phase: three callers stay well under two minutes. */
const MAX_EXAMPLES = 20;
/** A fixed seed, so that a failure reproduces. */
const SEED = 20261123;

/** One run per kind of caller, so that each role's routes are reached past the policy. */
const CALLERS = [
  {
    name: 'customer',
    steppedUp: true,
    claims: { sub: 'alice', department: 'retail', scope: `${CUSTOMER_SCOPES} accounts:read accounts:write` },
  },
  {
    name: 'manager',
    steppedUp: true,
    claims: {
      sub: 'mia',
      client_id: 'staff-app',
      roles: ['manager'],
      department: 'retail',
      scope: 'transactions:read transactions:approve accounts:read accounts:write',
    },
  },
  {
    name: 'auditor',
    steppedUp: false,
    claims: {
      sub: 'aude',
      client_id: 'staff-app',
      roles: ['auditor'],
      department: 'retail',
      scope: 'transactions:read audit:read accounts:read',
    },
  },
] as const;

interface Parameter {
  readonly name: string;
  readonly in: string;
}

interface Document {
  readonly paths: Record<string, Record<string, { parameters?: readonly Parameter[] }>>;
}

/** Values the API issued, as schemathesis dictionaries and the parameters they feed. */
interface TestData {
  /** Dictionary name → its values. */
  readonly dictionaries: Map<string, Set<string>>;
  /** Operations (`GET /path`) whose `cursor` is drawn from their own issued cursors only. */
  readonly cursors: Map<string, string>;
}

interface RunResult {
  readonly caller: string;
  readonly exitCode: number;
  readonly requests: number;
  readonly serverErrors: number;
  readonly seconds: number;
}

function seedArgument(): number {
  const index = process.argv.indexOf('--seed');
  const value = index === -1 ? undefined : Number(process.argv[index + 1]);
  return value !== undefined && Number.isSafeInteger(value) ? value : SEED;
}

function add(data: TestData, dictionary: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') return;
  const values = data.dictionaries.get(dictionary) ?? new Set<string>();
  values.add(value);
  data.dictionaries.set(dictionary, values);
}

/**
 * Lists every collection the document has (a GET without path parameters) as the caller, and keeps
 * what the API issued: item ids for `{id}` path parameters, ids of a collection `/xs` and items'
 * `*_id` fields for parameters named `x_id`, and each collection's next-page cursor. Schemathesis
 * draws from them (only where they fit the parameter's schema) besides its own values, so it gets
 * past "404 no such id" and an opaque cursor is one the API made.
 */
async function discoverTestData(baseUrl: string, document: Document, token: string): Promise<TestData> {
  const data: TestData = { dictionaries: new Map(), cursors: new Map() };
  const headers = { Authorization: `Bearer ${token}` };
  for (const [path, operations] of Object.entries(document.paths)) {
    const parameters = operations.get?.parameters;
    if (parameters === undefined || path.includes('{')) continue;
    const takes = (name: string): boolean => parameters.some((p) => p.in === 'query' && p.name === name);
    const collection = /^\/([a-z]+)s$/.exec(path)?.[1];
    const page = await fetch(new URL(path, baseUrl), { headers });
    if (!page.ok) continue;
    const body = (await page.json().catch(() => undefined)) as { items?: unknown } | undefined;
    for (const item of Array.isArray(body?.items) ? (body.items as Record<string, unknown>[]) : []) {
      add(data, 'id', item.id);
      if (collection !== undefined) add(data, `${collection}_id`, item.id);
      for (const [field, value] of Object.entries(item)) if (field.endsWith('_id')) add(data, field, value);
    }
    if (!takes('cursor') || !takes('limit')) continue;
    const first = await fetch(new URL(`${path}?limit=1`, baseUrl), { headers });
    const cursor = first.ok ? ((await first.json()) as { next_cursor?: unknown }).next_cursor : undefined;
    if (typeof cursor === 'string') data.cursors.set(`GET ${path}`, cursor);
  }
  return data;
}

/** The committed settings plus the dictionaries of the test data, as one schemathesis.toml. */
function configText(data: TestData): string {
  const lines = [readFileSync(CONFIG, 'utf8'), '# Test data found at run time.'];
  const string = (value: string): string => JSON.stringify(value);
  for (const [name, values] of data.dictionaries)
    lines.push(`[dictionaries.${string(name)}]`, `values = [${[...values].map(string).join(', ')}]`);
  for (const [operation, cursor] of data.cursors)
    lines.push(`[dictionaries.${string(`cursor ${operation}`)}]`, `values = [${string(cursor)}]`);
  lines.push('[parameters]');
  for (const name of data.dictionaries.keys()) {
    for (const location of name === 'id' ? ['path'] : ['path', 'query', 'body'])
      lines.push(`${string(`${location}.${name}`)} = { dictionary = ${string(name)}, probability = 0.5 }`);
  }
  for (const operation of data.cursors.keys()) {
    const [method = '', path = ''] = operation.split(' ');
    lines.push(
      '[[operations]]',
      `include-method = ${string(method)}`,
      `include-path = ${string(path)}`,
      `parameters = { "query.cursor" = { dictionary = ${string(`cursor ${operation}`)}, probability = 1.0 } }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Counts the requests and the 5xx answers in a schemathesis NDJSON report. */
function countRequests(ndjsonFile: string): { requests: number; serverErrors: number } {
  let requests = 0;
  let serverErrors = 0;
  if (!existsSync(ndjsonFile)) return { requests, serverErrors };
  for (const line of readFileSync(ndjsonFile, 'utf8').split('\n')) {
    if (line === '') continue;
    const event = JSON.parse(line) as { ScenarioFinished?: { recorder?: { interactions?: object } } };
    for (const interaction of Object.values(event.ScenarioFinished?.recorder?.interactions ?? {})) {
      requests++;
      const status = (interaction as { response?: { status_code?: number } | null }).response?.status_code;
      if ((status ?? 0) >= 500) serverErrors++;
    }
  }
  return { requests, serverErrors };
}

/**
 * Runs schemathesis in `cwd` (where it keeps its cache) with its output kept in `logFile`. Its own
 * summary imitates pytest's closing banner ("=== 2 warnings in 15.10s ==="), which readers of CI
 * logs take for a run of no test; so the step shows schemathesis's output whole only when the run
 * fails, and otherwise its "Test cases:" line.
 */
function runSchemathesis(args: readonly string[], cwd: string, logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const log = openSync(logFile, 'w');
    const child = spawn(SCHEMATHESIS, args, { cwd, stdio: ['ignore', log, log] });
    child.on('error', (error) => {
      closeSync(log);
      reject(error);
    });
    child.on('close', (code) => {
      closeSync(log);
      resolve(code ?? 1);
    });
  });
}

/** What a passing run shows of schemathesis's output: its count of test cases. */
function testCasesLine(output: string): string {
  const lines = output.split('\n');
  const at = lines.findIndex((line) => line.trim() === 'Test cases:');
  return at >= 0 && at + 1 < lines.length
    ? `test cases: ${lines[at + 1]!.trim()}`
    : 'test cases: not reported';
}

async function fuzzAs(
  harness: Harness,
  caller: (typeof CALLERS)[number],
  seed: number,
  dir: string,
): Promise<RunResult> {
  // The clock is frozen, so a step-up a minute old stays fresh for the whole run.
  const token = await harness.token({ ...caller.claims, ...(caller.steppedUp ? harness.steppedUp : {}) });
  const schemaUrl = new URL('/openapi.json', harness.baseUrl).href;
  const document = (await (await fetch(schemaUrl)).json()) as Document;
  const config = join(dir, `${caller.name}.toml`);
  writeFileSync(config, configText(await discoverTestData(harness.baseUrl, document, token)));
  const ndjson = join(dir, `${caller.name}.ndjson`);
  process.stdout.write(`\n--- schemathesis as the ${caller.name} (seed ${seed})\n`);
  const started = performance.now();
  const logFile = join(dir, `${caller.name}.log`);
  const exitCode = await runSchemathesis(
    [
      ...['--config-file', config, '--no-color', 'run', schemaUrl, '--checks', 'all'],
      ...['--max-examples', String(MAX_EXAMPLES), '--seed', String(seed), '--workers', '1'],
      ...['--header', `Authorization: Bearer ${token}`],
      ...['--report', 'ndjson', '--report-ndjson-path', ndjson],
    ],
    dir,
    logFile,
  );
  const output = readFileSync(logFile, 'utf8');
  process.stdout.write(exitCode === 0 ? `${testCasesLine(output)}\n` : output);
  const seconds = (performance.now() - started) / 1000;
  return { caller: caller.name, exitCode, seconds, ...countRequests(ndjson) };
}

async function main(): Promise<number> {
  if (!existsSync(SCHEMATHESIS)) {
    process.stderr.write('schemathesis is not in .tools/venv: run "node scripts/bootstrap.mjs --test"\n');
    return 1;
  }
  const seed = seedArgument();
  const started = performance.now();
  // RFC 9728 metadata on, as behind the gateway, so its route is fuzzed too.
  const harness = await Harness.start({
    resource: {
      resource: 'https://api.demo.example:8443',
      authorizationServers: ['https://auth.demo.example:8443'],
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'verdict-schemathesis-'));
  const results: RunResult[] = [];
  try {
    await seedDemoData(harness.store, FROZEN_NOW_MS);
    for (const caller of CALLERS) results.push(await fuzzAs(harness, caller, seed, dir));
  } finally {
    // The service's own lines for its 5xx answers (request id, route, code; never a header).
    const failures = harness.logLines.filter((line) => /"status":5\d\d/.test(line));
    if (failures.length > 0)
      process.stdout.write(`\nservice log of its 5xx answers:\n${failures.join('\n')}\n`);
    await harness.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write('\n');
  let passed = 0;
  for (const result of results) {
    const ok = result.exitCode === 0 && result.serverErrors === 0;
    if (ok) passed++;
    process.stdout.write(
      `schemathesis as the ${result.caller}: ${ok ? 'passed' : 'FAILED'}, ${result.requests} requests, ` +
        `${result.serverErrors} 5xx, ${result.seconds.toFixed(1)}s\n`,
    );
  }
  const requests = results.reduce((sum, result) => sum + result.requests, 0);
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`schemathesis generated ${requests} requests in ${seconds.toFixed(1)}s\n`);
  // One test per caller, in the form scripts/test.mjs counts.
  const tests = (n: number): string => `${n} test${n === 1 ? '' : 's'}`;
  process.stdout.write(`${tests(passed)} passed\n`);
  if (passed < CALLERS.length) process.stdout.write(`${tests(CALLERS.length - passed)} failed\n`);
  return passed === CALLERS.length ? 0 : 1;
}

process.exitCode = await main();
