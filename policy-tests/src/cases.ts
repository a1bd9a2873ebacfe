import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';

/**
 * The YAML decision tables (`cases/*.yaml`) expanded into policy inputs and expected results.
 * A case names a subject and a resource from `fixtures.yaml` and says what differs (`claims`,
 * `with`, `now`, or raw `input`), so every case is short yet explicit about what matters.
 */

/** A JSON value as YAML gives it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A plain JSON object. */
export type JsonObject = { [key: string]: Json };

/** The three entrypoints a case can call. */
export type Entrypoint = 'decision' | 'batch' | 'list_filter';

/** A decision as a case expects it: reason codes (with the scope for insufficient_scope). */
export interface ExpectedDecision {
  allow: boolean;
  visible: boolean;
  reasons: string[];
  redact: string[];
  step_up?: JsonObject;
}

/** What the policy must return for a case, in the form {@link normalize} gives. */
export type Expected = ExpectedDecision | { decisions: ExpectedDecision[] } | { any_of: JsonObject[] };

/** One expanded case. */
export interface Case {
  /** `file.yaml: name`, unique. */
  readonly name: string;
  readonly entrypoint: Entrypoint;
  readonly input: JsonObject;
  readonly expected: Expected;
  /** list_filter cases: rows whose match against the filter must equal batch's allow. */
  readonly rows: JsonObject[];
}

const here = new URL('..', import.meta.url).pathname;

/** The directory of the case files. */
export const CASES_DIR = join(here, 'cases');

/** The named subjects, resources and defaults the cases start from. */
export const FIXTURES_FILE = join(here, 'fixtures.yaml');

interface Fixtures {
  now: string;
  step_up: JsonObject;
  subjects: Record<string, JsonObject>;
  resources: Record<string, JsonObject>;
}

const CASE_KEYS = new Set([
  'name',
  'entrypoint',
  'subject',
  'claims',
  'action',
  'resource',
  'with',
  'resources',
  'now',
  'input',
  'expect',
  'rows',
]);

const DECISION_KEYS = new Set(['allow', 'visible', 'reasons', 'redact', 'step_up']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge of `patch` over `base`: objects merge, anything else replaces, `null` deletes a key. */
export function merge(base: JsonObject, patch: JsonObject): JsonObject {
  const result: JsonObject = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = result[key];
    result[key] = isObject(value) && isObject(current) ? merge(current, value) : value;
  }
  return Object.fromEntries(Object.entries(result).filter(([key]) => patch[key] !== null));
}

class CaseError extends Error {}

function loadFixtures(): Fixtures {
  const raw: unknown = parse(readFileSync(FIXTURES_FILE, 'utf8'), { merge: true });
  if (
    !isObject(raw) ||
    typeof raw.now !== 'string' ||
    !isObject(raw.step_up) ||
    !isObject(raw.subjects) ||
    !isObject(raw.resources)
  ) {
    throw new CaseError(`${FIXTURES_FILE}: needs now, step_up, subjects and resources`);
  }
  return raw as unknown as Fixtures;
}

/** Turns a case's expected decision (YAML form) into the normalized form; `at` names it in errors. */
function expectedDecision(value: Json | undefined, fixtures: Fixtures, at: string): ExpectedDecision {
  if (!isObject(value)) throw new CaseError(`${at}: expect must be an object`);
  const unknown = Object.keys(value).filter((key) => !DECISION_KEYS.has(key));
  if (unknown.length > 0) throw new CaseError(`${at}: unknown expect fields ${unknown.join(', ')}`);
  const { allow, visible, reasons, redact = [], step_up: stepUp } = value;
  if (typeof allow !== 'boolean') throw new CaseError(`${at}: expect.allow must be true or false`);
  if (typeof visible !== 'boolean') throw new CaseError(`${at}: expect.visible must be true or false`);
  if (!Array.isArray(reasons) || !reasons.every((r) => typeof r === 'string')) {
    throw new CaseError(`${at}: expect.reasons must list reason codes ("insufficient_scope <scope>")`);
  }
  if (!Array.isArray(redact) || !redact.every((r) => typeof r === 'string')) {
    throw new CaseError(`${at}: expect.redact must list dotted paths`);
  }
  const decision: ExpectedDecision = {
    allow,
    visible,
    reasons: [...reasons].sort(),
    redact: [...redact].sort(),
  };
  if (stepUp === true) decision.step_up = fixtures.step_up;
  else if (isObject(stepUp)) decision.step_up = stepUp;
  else if (stepUp !== undefined && stepUp !== false) {
    throw new CaseError(`${at}: expect.step_up must be true (the configured challenge) or an object`);
  }
  return decision;
}

function resourceOf(
  value: Json | undefined,
  patch: Json | undefined,
  fixtures: Fixtures,
  at: string,
): JsonObject {
  let resource: JsonObject;
  if (typeof value === 'string') {
    const named = fixtures.resources[value];
    if (named === undefined) throw new CaseError(`${at}: no resource fixture named ${value}`);
    resource = named;
  } else if (isObject(value)) {
    // { fixture: name, ...changes } or a whole resource.
    const { fixture, ...rest } = value;
    resource = typeof fixture === 'string' ? resourceOf(fixture, rest, fixtures, at) : value;
  } else {
    throw new CaseError(`${at}: resource must be a fixture name or an object`);
  }
  if (patch === undefined) return resource;
  if (!isObject(patch)) throw new CaseError(`${at}: with must be an object`);
  return merge(resource, patch);
}

function expandCase(raw: Json, defaults: JsonObject, file: string, fixtures: Fixtures): Case {
  if (!isObject(raw) || typeof raw.name !== 'string') throw new CaseError(`${file}: every case needs a name`);
  const at = `${file}: ${raw.name}`;
  const unknown = Object.keys(raw).filter((key) => !CASE_KEYS.has(key));
  if (unknown.length > 0) throw new CaseError(`${at}: unknown fields ${unknown.join(', ')}`);
  const spec = merge(defaults, raw);
  const entrypoint = (spec.entrypoint ?? 'decision') as Entrypoint;
  if (!['decision', 'batch', 'list_filter'].includes(entrypoint)) {
    throw new CaseError(`${at}: entrypoint must be decision, batch or list_filter`);
  }
  const subject = typeof spec.subject === 'string' ? fixtures.subjects[spec.subject] : undefined;
  if (subject === undefined) throw new CaseError(`${at}: subject must name a subject in fixtures.yaml`);
  if (spec.claims !== undefined && !isObject(spec.claims))
    throw new CaseError(`${at}: claims must be an object`);
  const claims = merge(subject, spec.claims ?? {});
  const now = spec.now ?? fixtures.now;
  if (typeof spec.action !== 'string') throw new CaseError(`${at}: action is required`);
  let input: JsonObject = {
    subject: { claims },
    action: spec.action,
    environment: { now, request_id: `case ${raw.name}` },
  };
  if (entrypoint === 'decision') input.resource = resourceOf(spec.resource, spec.with, fixtures, at);
  if (entrypoint === 'batch') {
    if (!Array.isArray(spec.resources)) throw new CaseError(`${at}: a batch case needs resources`);
    input.resources = spec.resources.map((r, i) =>
      resourceOf(r, undefined, fixtures, `${at} resources[${i}]`),
    );
  }
  if (spec.input !== undefined) {
    if (!isObject(spec.input)) throw new CaseError(`${at}: input must be an object`);
    input = merge(input, spec.input);
  }

  const expect = spec.expect;
  let expected: Expected;
  if (entrypoint === 'decision') expected = expectedDecision(expect, fixtures, at);
  else if (entrypoint === 'batch') {
    if (!isObject(expect) || !Array.isArray(expect.decisions)) {
      throw new CaseError(`${at}: expect.decisions must list one decision per resource`);
    }
    expected = { decisions: expect.decisions.map((d, i) => expectedDecision(d, fixtures, `${at} [${i}]`)) };
  } else {
    if (!isObject(expect) || !Array.isArray(expect.any_of) || !expect.any_of.every(isObject)) {
      throw new CaseError(`${at}: expect.any_of must list clauses`);
    }
    expected = { any_of: expect.any_of };
  }
  const rows = (Array.isArray(spec.rows) ? spec.rows : []).map((r, i) =>
    resourceOf(r, undefined, fixtures, `${at} rows[${i}]`),
  );
  if (entrypoint !== 'list_filter' && rows.length > 0) throw new CaseError(`${at}: rows go with list_filter`);
  return { name: at, entrypoint, input, expected, rows };
}

/** Every case of every `cases/*.yaml`, in file order; throws on a malformed case or a duplicate name. */
export function loadCases(): Case[] {
  const fixtures = loadFixtures();
  const cases: Case[] = [];
  const files = readdirSync(CASES_DIR)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort();
  for (const file of files) {
    const raw: unknown = parse(readFileSync(join(CASES_DIR, file), 'utf8'), { merge: true });
    if (!isObject(raw) || !Array.isArray(raw.cases)) throw new CaseError(`${file}: needs a list of cases`);
    // Besides cases and defaults, a file may hold YAML anchors under keys starting with x-.
    const extra = Object.keys(raw).filter(
      (key) => key !== 'cases' && key !== 'defaults' && !key.startsWith('x-'),
    );
    if (extra.length > 0) throw new CaseError(`${file}: unknown top-level keys ${extra.join(', ')}`);
    const defaults = raw.defaults ?? {};
    if (!isObject(defaults)) throw new CaseError(`${file}: defaults must be an object`);
    for (const entry of raw.cases) cases.push(expandCase(entry, defaults, basename(file), fixtures));
  }
  const seen = new Set<string>();
  for (const { name } of cases) {
    if (seen.has(name)) throw new CaseError(`duplicate case name: ${name}`);
    seen.add(name);
  }
  return cases;
}

/** `code`, or `code scope` for a reason with a scope; anything malformed as it is. */
function reasonText(reason: Json): Json {
  if (!isObject(reason) || typeof reason.code !== 'string') return reason;
  return typeof reason.scope === 'string' ? `${reason.code} ${reason.scope}` : reason.code;
}

/** A raw decision in the form cases state it: reason codes sorted, `insufficient_scope <scope>`. */
export function normalizeDecision(raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  const reasons = Array.isArray(raw.reasons) ? raw.reasons.map(reasonText) : raw.reasons;
  const decision: Record<string, unknown> = {
    allow: raw.allow,
    visible: raw.visible,
    reasons,
    redact: raw.redact,
  };
  if (raw.step_up !== undefined) decision.step_up = raw.step_up;
  return decision;
}

/** A raw entrypoint result in the form of {@link Expected}. */
export function normalize(entrypoint: Entrypoint, raw: unknown): unknown {
  if (entrypoint === 'decision') return normalizeDecision(raw);
  if (entrypoint === 'batch' && isObject(raw) && Array.isArray(raw.decisions)) {
    return { decisions: raw.decisions.map(normalizeDecision) };
  }
  return raw;
}
