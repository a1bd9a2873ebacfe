import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { appendFile, copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, promisify } from 'node:util';
import test from 'ava';
import { parseDocument } from 'yaml';
import { normalizeDecision } from '../../../policy-tests/src/cases.js';
import { buildPolicyVariant } from '../../../scripts/policy-variant.mjs';
import { Acknowledgements } from '../../src/impact/acknowledgements.js';
import { loadCandidate, type Candidate } from '../../src/impact/candidate.js';
import { analyzeImpact } from '../../src/impact/impact.js';
import { renderMarkdown } from '../../src/impact/markdown.js';
import type { ImpactReport } from '../../src/impact/report.js';
import { OPA, tempDir } from '../helpers/opa.js';
import { recordDecisions, recordDecisionTables, type RecordedDecision } from './decision-tables-log.js';

// A decision log recorded from the decision tables by the real policy engine, replayed against
// candidates built from edited copies of the real policies (scripts/policy-variant.mjs, as
// `npm run policy:build` builds them). What a candidate should change is worked out here without
// the impact code: from the case inputs for a changed approval limit, and from `opa eval` of the
// candidate's Rego bundle for a changed support profile.

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'sidecar', 'src', 'impact', 'cli.ts');

const OLD_LIMIT = 5_000_000;
const NEW_LIMIT = 2_000_000;

let dir: { path: string; remove: () => Promise<void> };
let baseBundle: string;
let basePolicies: string;
let limitBundle: string;
let supportBundle: string;
let supportRego: string;
let log: string;
let maskedLog: string;
let recorded: RecordedDecision[];
let maskedRecorded: RecordedDecision[];
let base: Candidate;
let limit: Candidate;
let support: Candidate;

/** Sets `path` in a YAML data file of a policies copy, after checking what it held. */
function editData(root: string, file: string, path: string[], was: unknown, value: unknown): void {
  const target = join(root, 'policies', 'data', file);
  const document = parseDocument(readFileSync(target, 'utf8'));
  const current: unknown = document.getIn(path);
  if (current !== was) throw new Error(`${file} ${path.join('.')} is ${String(current)}, not ${String(was)}`);
  document.setIn(path, value);
  writeFileSync(target, document.toString());
}

test.before(async () => {
  dir = await tempDir();
  const built = buildPolicyVariant({ into: join(dir.path, 'base') });
  basePolicies = join(dir.path, 'base', 'policies');
  baseBundle = join(dir.path, 'base.tar.gz');
  await writeFile(baseBundle, built.wasm);
  const limited = buildPolicyVariant({
    into: join(dir.path, 'limit'),
    edit: (root) => {
      editData(root, 'roles.yaml', ['roles', 'manager', 'approval_limits', 'EUR'], OLD_LIMIT, NEW_LIMIT);
    },
  });
  limitBundle = join(dir.path, 'limit.tar.gz');
  await writeFile(limitBundle, limited.wasm);
  const supported = buildPolicyVariant({
    into: join(dir.path, 'support'),
    edit: (root) => {
      editData(root, 'roles.yaml', ['roles', 'support', 'reach'], 'department', 'all');
    },
  });
  supportBundle = join(dir.path, 'support.tar.gz');
  supportRego = join(dir.path, 'support-rego.tar.gz');
  await writeFile(supportBundle, supported.wasm);
  await writeFile(supportRego, supported.rego);

  log = join(dir.path, 'decisions.jsonl');
  recorded = await recordDecisionTables(baseBundle, log);
  maskedLog = join(dir.path, 'masked.jsonl');
  maskedRecorded = await recordDecisionTables(
    baseBundle,
    maskedLog,
    'input.environment.request_id,input.resource.owner',
  );
  [base, limit, support] = await Promise.all([
    loadCandidate(baseBundle),
    loadCandidate(limitBundle),
    loadCandidate(supportBundle),
  ]);
});

test.after.always(async () => {
  await dir.remove();
});

/** Every decision a report lists (changed, or cannot be replayed), by id. */
function listed(groups: ImpactReport['changes']): Set<string> {
  return new Set(groups.flatMap((group) => group.examples.map((example) => example.decision_id)));
}

/** The recorded events of a log, by decision id. */
async function eventsOf(path: string): Promise<Map<string, Record<string, unknown>>> {
  const lines = (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
  return new Map(
    lines.map((line) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      return [event.decision_id as string, event];
    }),
  );
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

/** Decisions a batch counts one per resource. */
function decisionCount(decisions: readonly RecordedDecision[]): number {
  return decisions.reduce((sum, d) => {
    const resources = d.input.resources;
    return (
      sum + (d.path === 'verdict/authz/batch' && Array.isArray(resources) ? Math.max(resources.length, 1) : 1)
    );
  }, 0);
}

test('the log holds decisions, batches and list filters of the decision tables', (t) => {
  const paths = new Set(recorded.map((d) => d.path));
  t.deepEqual([...paths].sort(), [
    'verdict/authz/batch',
    'verdict/authz/decision',
    'verdict/authz/list_filter',
  ]);
  t.true(recorded.length >= 300);
});

test('an unchanged candidate bundle: every decision replays as recorded, exit 0', async (t) => {
  const { code, stdout } = await cli('--candidate', baseBundle, '--log', log, '--format', 'json');
  t.is(code, 0);
  const report = JSON.parse(stdout) as ImpactReport;
  t.is(report.exit_code, 0);
  t.is(report.log.events, recorded.length);
  t.is(report.summary.decisions, decisionCount(recorded));
  t.is(report.summary.unchanged, report.summary.decisions);
  t.is(report.summary.changed, 0);
  t.is(report.summary.cannot_replay, 0);
  t.deepEqual(report.changes, []);
  t.is(report.candidate.kind, 'bundle');
  t.is(report.candidate.revision, base.info.revision);
  // Built by policy-build with its development key; not checked without --keys.
  t.is(report.candidate.signature.status, 'signed');
});

test('an unchanged policies directory is built with opa and replays as recorded, exit 0', async (t) => {
  const { code, stdout } = await cli('--candidate', basePolicies, '--log', log, '--format', 'json');
  t.is(code, 0, stdout);
  const report = JSON.parse(stdout) as ImpactReport;
  t.is(report.candidate.kind, 'policies');
  t.is(report.candidate.signature.status, 'built');
  t.is(report.candidate.revision, base.info.revision);
  t.is(report.summary.changed, 0);
});

test('--keys verifies the candidate signature, and says when it does not verify', async (t) => {
  const keys = join(dir.path, 'base', 'data', 'bundle-signing', 'keys.json');
  const verified = await loadCandidate(baseBundle, { keys });
  t.is(verified.info.signature.status, 'verified');
  const otherKeys = join(dir.path, 'limit', 'data', 'bundle-signing', 'keys.json');
  const invalid = await loadCandidate(baseBundle, { keys: otherKeys });
  t.like(invalid.info.signature, { status: 'invalid', reason: 'unknown_keyid' });
});

/** From the case inputs alone: manager approvals and rejections in EUR above the new limit, up to the old one. */
function flippedByLimit(decision: RecordedDecision): string[] {
  const { input } = decision;
  const claims = (input.subject as { claims?: { roles?: unknown } } | undefined)?.claims;
  const manager = Array.isArray(claims?.roles) && claims.roles.includes('manager');
  if (!manager || (input.action !== 'transactions:approve' && input.action !== 'transactions:reject'))
    return [];
  const affected = (resource: unknown): boolean => {
    const { currency, amount_minor: amount } = (resource ?? {}) as {
      currency?: unknown;
      amount_minor?: unknown;
    };
    return currency === 'EUR' && typeof amount === 'number' && amount > NEW_LIMIT && amount <= OLD_LIMIT;
  };
  if (decision.path === 'verdict/authz/decision')
    return affected(input.resource) ? [decision.decisionId] : [];
  if (decision.path !== 'verdict/authz/batch' || !Array.isArray(input.resources)) return [];
  return input.resources.flatMap((resource, i) =>
    affected(resource) ? [`${decision.decisionId}#${i}`] : [],
  );
}

test('a lower manager approval limit lists exactly the decisions it flips, and nothing else', async (t) => {
  const expected = new Set(recorded.flatMap(flippedByLimit));
  t.true(expected.size >= 4);
  t.true(
    [...expected].some((id) => id.includes('#')),
    'a batch element is among them',
  );

  const report = await analyzeImpact({ candidate: limit, log, examples: 10_000 });
  t.deepEqual([...listed(report.changes)].sort(), [...expected].sort());
  t.is(report.summary.changed, expected.size);
  t.is(report.summary.cannot_replay, 0);
  t.is(report.exit_code, 1);
  t.deepEqual(report.changes.map((group) => `${group.action}/${group.reason}`).sort(), [
    'transactions:approve/approval_limit_exceeded',
    'transactions:reject/approval_limit_exceeded',
  ]);
  const examples = report.changes.flatMap((group) => group.examples);
  t.true(examples.every((e) => e.subject === 'mia' && e.resource_id !== null));
  t.true(examples.every((e) => e.after?.outcome === 'decision' && !e.after.allow));
  t.true(report.summary.kinds.allow_to_deny > 0);
  t.true(report.summary.kinds.step_up > 0, 'a step-up challenge became a plain deny');
  t.is(report.summary.kinds.deny_to_allow, 0);
});

test('--accept: exit 0 only when every change is acknowledged, by pattern or decision id', async (t) => {
  const expected = [...new Set(recorded.flatMap(flippedByLimit))];
  const accept = async (name: string, entries: unknown): Promise<string> => {
    const path = join(dir.path, name);
    await writeFile(path, typeof entries === 'string' ? entries : JSON.stringify(entries));
    return path;
  };
  const both = await accept(
    'both.yaml',
    '# the lower EUR limit for managers\n- transactions:approve/approval_limit_exceeded\n- transactions:reject/*\n',
  );
  const approveOnly = await accept('approve.json', ['transactions:approve/approval_limit_exceeded']);
  const ids = await accept('ids.json', expected);
  const idsButOne = await accept('ids-but-one.json', expected.slice(1));

  const acknowledged = await cli(
    '--candidate',
    limitBundle,
    '--log',
    log,
    '--accept',
    both,
    '--format',
    'json',
  );
  t.is(acknowledged.code, 0);
  const report = JSON.parse(acknowledged.stdout) as ImpactReport;
  t.is(report.summary.acknowledged, expected.length);
  t.is(report.summary.unacknowledged, 0);
  t.deepEqual(report.acknowledgements?.unused, []);

  t.is((await cli('--candidate', limitBundle, '--log', log)).code, 1);
  t.is((await cli('--candidate', limitBundle, '--log', log, '--accept', approveOnly)).code, 1);

  const byIds = await analyzeImpact({
    candidate: limit,
    log,
    acknowledgements: await Acknowledgements.fromFile(ids),
  });
  t.is(byIds.exit_code, 0);
  const butOne = await analyzeImpact({
    candidate: limit,
    log,
    acknowledgements: await Acknowledgements.fromFile(idsButOne),
  });
  t.is(butOne.exit_code, 1);
  t.is(butOne.summary.unacknowledged, 1);

  // An acknowledgement of a change that does not happen is reported as unused.
  const stale = await analyzeImpact({
    candidate: base,
    log,
    acknowledgements: new Acknowledgements(['transactions:approve/approval_limit_exceeded']),
  });
  t.is(stale.exit_code, 0);
  t.deepEqual(stale.acknowledgements?.unused, ['transactions:approve/approval_limit_exceeded']);
});

/** `opa eval` of the three entrypoints on a Rego bundle, for many inputs in one process. */
async function opaEvalBundle(bundle: string, decisions: readonly RecordedDecision[]): Promise<unknown[]> {
  const inputPath = join(dir.path, 'opa-input.json');
  const items = decisions.map((d) => ({ entrypoint: d.path.slice('verdict/authz/'.length), input: d.input }));
  await writeFile(inputPath, JSON.stringify({ items }));
  const query =
    '{format_int(i, 10): r | some i, item in input.items; entrypoint := item.entrypoint; ' +
    'item_input := item.input; r := data.verdict.authz[entrypoint] with input as item_input}';
  const { stdout } = await run(OPA, ['eval', '-f', 'json', '--bundle', bundle, '-i', inputPath, query], {
    env: { ...process.env, TZ: 'UTC' },
    maxBuffer: 256 * 1024 * 1024,
  });
  const results = (JSON.parse(stdout) as { result: { expressions: { value: Record<string, unknown> }[] }[] })
    .result[0]?.expressions[0]?.value;
  if (results === undefined) throw new Error('opa eval gave no result');
  return decisions.map((_, i) => results[String(i)]);
}

/** A decision with its reasons sorted and without messages. */
const decisionForm = (raw: unknown): unknown => {
  const decision = normalizeDecision(raw) as { reasons?: unknown };
  return Array.isArray(decision.reasons)
    ? { ...decision, reasons: [...(decision.reasons as string[])].sort() }
    : decision;
};

/** A list filter's clauses as a sorted list of their JSON. */
const clauseSet = (raw: unknown): string[] =>
  ((raw as { any_of?: unknown[] } | undefined)?.any_of ?? []).map((clause) => JSON.stringify(clause)).sort();

test('batch elements and list filters are compared: exactly what opa eval of the candidate changes', async (t) => {
  const events = await eventsOf(log);
  const answers = await opaEvalBundle(supportRego, recorded);
  const expected = new Set<string>();
  recorded.forEach((decision, i) => {
    const before = events.get(decision.decisionId)?.result;
    const after = answers[i];
    if (decision.path === 'verdict/authz/list_filter') {
      if (!isDeepStrictEqual(clauseSet(before), clauseSet(after))) expected.add(decision.decisionId);
    } else if (decision.path === 'verdict/authz/batch') {
      const a = (before as { decisions: unknown[] }).decisions;
      const b = (after as { decisions: unknown[] }).decisions;
      a.forEach((item, j) => {
        if (!isDeepStrictEqual(decisionForm(item), decisionForm(b[j])))
          expected.add(`${decision.decisionId}#${j}`);
      });
    } else if (!isDeepStrictEqual(decisionForm(before), decisionForm(after)))
      expected.add(decision.decisionId);
  });
  const filterIds = recorded.filter((d) => d.path === 'verdict/authz/list_filter').map((d) => d.decisionId);
  t.true(
    filterIds.some((id) => expected.has(id)),
    'some list filter changes',
  );
  t.true(
    [...expected].some((id) => id.includes('#')),
    'some batch element changes',
  );

  const report = await analyzeImpact({ candidate: support, log, examples: 10_000 });
  t.deepEqual([...listed(report.changes)].sort(), [...expected].sort());
  t.is(report.summary.cannot_replay, 0);

  const filters = report.changes.find((group) => group.reason === '(filter)');
  t.truthy(filters);
  t.is(filters?.action, 'transactions:list');
  const example = filters?.examples.find((e) => e.subject === 'sam');
  t.like(example, { before: { outcome: 'filter', any_of: [{ department: 'retail' }] } });
  t.like(example, { after: { outcome: 'filter', any_of: [{}] } });
  // sam's support list page: carol's transaction in another department becomes visible.
  const batchItem = report.changes
    .flatMap((group) => group.examples)
    .find((e) => e.item !== null && e.subject === 'sam' && e.resource_id === 'tx-carol-private');
  t.truthy(batchItem);
  t.true(batchItem?.kinds.includes('deny_to_allow'));
  t.true(batchItem?.kinds.includes('visibility'));
});

test('masked input fields the candidate reads are reported as cannot replay, never guessed', async (t) => {
  const events = await eventsOf(maskedLog);
  const customerRead = maskedRecorded.find(
    (d) => d.name === '02-customers.yaml: customer reads own pending transaction',
  );
  const erased = events.get(customerRead?.decisionId ?? '')?.erased;
  t.deepEqual(erased, ['/input/environment/request_id', '/input/resource/owner'], 'the log masks both');

  const report = await analyzeImpact({ candidate: base, log: maskedLog, examples: 10_000 });
  // The same policy that recorded the log: nothing may be reported as a change.
  t.is(report.summary.changed, 0);
  t.deepEqual(report.changes, []);
  t.true(report.summary.cannot_replay > 0);
  t.is(report.exit_code, 1);
  const unreplayable = report.cannot_replay.flatMap((group) => group.examples);
  const read = unreplayable.find((e) => e.decision_id === customerRead?.decisionId);
  t.truthy(read, "a customer's read depends on the owner");
  t.deepEqual(read?.masked, ['/input/environment/request_id', '/input/resource/owner']);
  t.like(read?.before, { outcome: 'decision', allow: true });
  t.is(read?.after, null);
  t.true(report.cannot_replay.every((group) => group.reason === '(cannot_replay)'));
  // A list filter has no resource: only its request id is masked, which no rule reads.
  const filterIds = maskedRecorded
    .filter((d) => d.path === 'verdict/authz/list_filter')
    .map((d) => d.decisionId);
  t.true(filterIds.length > 0);
  t.true(filterIds.every((id) => !unreplayable.some((e) => e.decision_id === id)));

  const accepted = await analyzeImpact({
    candidate: base,
    log: maskedLog,
    acknowledgements: new Acknowledgements(['*/(cannot_replay)']),
  });
  t.is(accepted.exit_code, 0);
});

test('a flip of a decision whose masked field the candidate reads is cannot replay, not a change', async (t) => {
  const report = await analyzeImpact({ candidate: limit, log: maskedLog, examples: 10_000 });
  const flips = maskedRecorded.flatMap(flippedByLimit);
  // The mask names input.resource.owner: a batch's resources keep their owners and replay.
  const inBatches = flips.filter((id) => id.includes('#'));
  const single = flips.filter((id) => !id.includes('#'));
  t.true(inBatches.length > 0 && single.length > 0);
  t.deepEqual([...listed(report.changes)].sort(), inBatches.sort());
  // Separation of duties compares the owner with the caller: the answer depends on the masked owner.
  const unreplayable = listed(report.cannot_replay);
  t.true(single.every((id) => unreplayable.has(id)));
});

test('a masked amount the candidate compares is cannot replay, even when the answer matches', async (t) => {
  const approval = (amount: number, name: string) => ({
    path: 'verdict/authz/decision' as const,
    name,
    input: {
      subject: {
        claims: {
          sub: 'mia',
          client_id: 'staff-portal',
          scope: 'transactions:approve',
          roles: ['manager'],
          department: 'retail',
        },
      },
      action: 'transactions:approve',
      resource: {
        type: 'transaction',
        id: `tx-${name}`,
        owner: 'bob',
        department: 'retail',
        amount_minor: amount,
        currency: 'EUR',
        category: 'transfer',
        status: 'pending',
        created_at: '2026-11-22T08:00:00Z',
        account: { id: 'acc-bob', owner: 'bob', department: 'retail', status: 'open' },
      },
      environment: { now: '2026-11-23T10:00:00Z', ip: '203.0.113.7' },
    },
  });
  const path = join(dir.path, 'masked-amount.jsonl');
  const [within, above] = await recordDecisions(
    baseBundle,
    path,
    'input.resource.amount_minor,input.environment.ip',
    [approval(250_000, 'within'), approval(9_000_000, 'above')],
  );
  const ipOnly = join(dir.path, 'masked-ip.jsonl');
  await recordDecisions(baseBundle, ipOnly, 'input.environment.ip', [approval(250_000, 'ip')]);

  const report = await analyzeImpact({ candidate: base, log: path });
  t.deepEqual(report.changes, []);
  // Absent, the amount is above every limit, as recorded for `above`: the answer still depends on it.
  const unreplayable = listed(report.cannot_replay);
  t.deepEqual([...unreplayable].sort(), [within?.decisionId, above?.decisionId].sort());
  t.deepEqual(report.cannot_replay[0]?.examples[0]?.masked, [
    '/input/resource/amount_minor',
    '/input/environment/ip',
  ]);
  // No rule reads the IP address: masking it alone leaves the decision replayable.
  const ip = await analyzeImpact({ candidate: base, log: ipOnly });
  t.like(ip.summary, { decisions: 1, unchanged: 1, cannot_replay: 0 });
  t.is(ip.exit_code, 0);
});

test('--since skips what was recorded before it', async (t) => {
  const later = await analyzeImpact({ candidate: limit, log, since: '2200-01-01T00:00:00Z' });
  t.is(later.log.events, 0);
  t.is(later.log.skipped.before_since, recorded.length);
  t.is(later.exit_code, 0);
  const earlier = await analyzeImpact({ candidate: limit, log, since: '2000-01-01T00:00:00+01:00' });
  t.is(earlier.log.events, recorded.length);
  t.is(earlier.exit_code, 1);
});

test('an unreadable line cannot be replayed; another kind of line is skipped', async (t) => {
  const damaged = join(dir.path, 'damaged.jsonl');
  await copyFile(log, damaged);
  await appendFile(damaged, '{"decision_id": "cut off\n{"msg": "not a decision"}\n\n');
  const report = await analyzeImpact({ candidate: base, log: damaged });
  t.is(report.summary.cannot_replay, 1);
  t.is(report.summary.changed, 0);
  t.like(report.cannot_replay[0], { action: '(unreadable)', reason: '(cannot_replay)', count: 1 });
  t.is(report.cannot_replay[0]?.examples[0]?.decision_id, `line:${recorded.length + 1}`);
  t.is(report.log.skipped.not_a_decision, 1);
  t.is(report.exit_code, 1);
});

test('the Markdown report names the groups, examples and exit code', async (t) => {
  const { code, stdout } = await cli('--candidate', limitBundle, '--log', log);
  t.is(code, 1);
  const report = await analyzeImpact({ candidate: limit, log });
  const markdown = renderMarkdown(report);
  for (const text of [stdout, markdown]) {
    t.regex(text, /### `transactions:approve` \/ `approval_limit_exceeded`: \d+/);
    t.regex(
      text,
      /\| `[0-9a-f-]+(#\d+)?` \| mia \| tx-bob-pending-large \| allow \| deny; approval_limit_exceeded \|/,
    );
    t.regex(text, /not acknowledged: exit 1\./);
    t.regex(text, /signed \(keyid `verdict-[0-9a-f]+`\), signature not checked/);
  }
});

test('bad arguments and unreadable files exit 2 with one line', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--log', log], /^policy-impact: --candidate is required\n$/],
    [['--candidate', baseBundle], /^policy-impact: --log is required\n$/],
    [
      ['--candidate', baseBundle, '--log', log, '--format', 'xml'],
      /^policy-impact: --format must be md or json/,
    ],
    [['--candidate', baseBundle, '--log', log, '--bogus'], /^policy-impact: .*--bogus/],
    [
      ['--candidate', baseBundle, '--log', join(dir.path, 'missing.jsonl')],
      /^policy-impact: --log: cannot read /,
    ],
    [
      ['--candidate', join(dir.path, 'missing.tar.gz'), '--log', log],
      /^policy-impact: --candidate: cannot read /,
    ],
    [['--candidate', log, '--log', log], /^policy-impact: --candidate: .* is not a usable bundle/],
    [['--candidate', baseBundle, '--log', log, '--since', 'yesterday'], /^policy-impact: --since: /],
    [['--candidate', baseBundle, '--log', log, '--accept', log], /^policy-impact: --accept: /],
  ];
  for (const [args, message] of cases) {
    const { code, stderr, stdout } = await cli(...args);
    t.is(code, 2, args.join(' '));
    t.regex(stderr, message);
    t.is(stderr.trim().split('\n').length, 1, stderr);
    t.is(stdout, '');
  }
});
