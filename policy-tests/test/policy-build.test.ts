import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

// The policy build on a copy of policies/ with one data file changed: a bad file fails the build
// with the file's name and the field's path; the untouched copy builds the same revision.

const root = fileURLToPath(new URL('../..', import.meta.url));

interface BuildRun {
  status: number | null;
  output: string;
  dir: string;
}

/** Runs scripts/policy-build.mjs on a temporary copy of policies/ after `change` edits it. */
function buildCopy(change: (policies: string) => void): BuildRun {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-policy-build-'));
  cpSync(join(root, 'policies'), join(dir, 'policies'), {
    recursive: true,
    filter: (source) => !source.includes(join('policies', 'build')),
  });
  mkdirSync(join(dir, 'scripts'));
  cpSync(join(root, 'scripts', 'policy-build.mjs'), join(dir, 'scripts', 'policy-build.mjs'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  change(join(dir, 'policies'));
  const result = spawnSync(process.execPath, [join(dir, 'scripts', 'policy-build.mjs')], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${join(root, '.tools', 'bin')}:${process.env.PATH ?? ''}` },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}`, dir };
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
