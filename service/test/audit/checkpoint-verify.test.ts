import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CheckpointFileError, readCheckpoints } from '../../src/audit/checkpoint.js';
import { AuditCheckpointer, type Schedule } from '../../src/audit/checkpointer.js';
import { verifyChain } from '../../src/audit/verify.js';
import { FROZEN_NOW_MS, setupAuditEntry } from '../support/harness.js';
import { STORE_DRIVERS, type StoreDriver } from '../support/store-drivers.js';
import { trailOf } from '../support/trail.js';

const exec = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'src', 'audit', 'verify-cli.ts');
const MAC = 'ab'.repeat(32);

/** Timers that never fire by themselves: the test flushes. */
const never: Schedule = () => () => undefined;

/**
 * A store of five records, the last the record of a delete, anchored by two checkpoints (after
 * seq 3 and, on close, after seq 5), the way the service writes them.
 */
async function anchoredChain(t: ExecutionContext, driver: StoreDriver = STORE_DRIVERS[0]!) {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-anchored-'));
  const file = join(dir, 'audit-checkpoints.jsonl');
  const keyFile = join(dir, 'audit-hmac.key');
  let checkpointer: AuditCheckpointer | undefined;
  // The hook reaches whichever checkpointer runs now: `restart` stands in for a restarted service.
  const {
    store,
    key,
    url,
    exec: tamper,
  } = await driver.open(t, {
    onAuditAppended: (log) => {
      checkpointer?.notify(log);
    },
  });
  writeFileSync(keyFile, key.toString('hex'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  const append = async (action = 'transactions:create') => {
    n++;
    return store.appendAudit({
      ...setupAuditEntry(`r${n}`),
      id: `e${n}-${randomBytes(4).toString('hex')}`,
      action,
    });
  };
  const restart = () =>
    (checkpointer = AuditCheckpointer.create({ file, now: () => FROZEN_NOW_MS, schedule: never }));
  const first = restart();
  for (let i = 0; i < 3; i++) await append();
  await first.flush();
  await append('transactions:update');
  const deleted = await append('transactions:delete');
  await first.close();
  const verify = async () => verifyChain(store.auditTrail(), key, await readCheckpoints(file));
  const env = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: url,
    AUDIT_HMAC_KEY_FILE: keyFile,
  };
  /** Runs SQL as someone with write access to the database (and not to the checkpoint file). */
  return { store, key, file, deleted, append, restart, tamper, verify, env };
}

async function cli(env: Record<string, string>, ...args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', CLI, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

test('an intact chain with its checkpoints passes', async (t) => {
  const { file, verify } = await anchoredChain(t);
  t.deepEqual(
    (await readCheckpoints(file))?.map((line) => line.seq),
    [3, 5],
  );
  t.deepEqual(await verify(), { ok: true, records: 5, lastSeq: 5 });
});

const TAILS: [string, string, number, string][] = [
  ['the record of a delete', 'DELETE FROM audit_log WHERE seq = 5', 5, 'record 5 is missing'],
  ['the last two records', 'DELETE FROM audit_log WHERE seq >= 4', 4, 'records 4–5 are missing'],
  ['every record', 'DELETE FROM audit_log', 1, 'records 1–5 are missing'],
];
for (const driver of STORE_DRIVERS) {
  for (const [name, sql, firstMissing, missing] of TAILS) {
    test(`${driver.name}: regression: ${name} removed from the end → verify fails naming the missing range`, async (t) => {
      const { store, key, deleted, tamper, verify } = await anchoredChain(t, driver);
      await tamper(`${sql}; ${driver.rewindHead}`);
      t.true(
        (await verifyChain(store.auditTrail(), key)).ok,
        'the chain alone (verify before checkpoints) accepts it',
      );
      t.deepEqual(await verify(), {
        ok: false,
        records: firstMissing - 1,
        seq: firstMissing,
        id: null,
        problem:
          `${missing}: the database ends at seq ${firstMissing - 1} but a checkpoint at ${deleted.time} ` +
          '(line 2) recorded seq 5',
      });
    });
  }

  test(`${driver.name}: regression: the tail deleted and new records chained after it → verify fails on the MAC at the checkpoint seq`, async (t) => {
    const { store, key, append, restart, tamper, verify } = await anchoredChain(t, driver);
    // An attacker who knows the schema: on PostgreSQL the head row is moved back too.
    await tamper(`DELETE FROM audit_log WHERE seq >= 4; ${driver.rewindHead}`);
    // The service goes on: new records take seq 4, 5, 6 with valid MACs, and are checkpointed.
    const checkpointer = restart();
    for (let i = 0; i < 3; i++) await append();
    await checkpointer.close();
    t.deepEqual(
      await verifyChain(store.auditTrail(), key),
      { ok: true, records: 6, lastSeq: 6 },
      'the chain alone is valid',
    );
    const verdict = await verify();
    t.like(verdict, { ok: false, records: 5, seq: 5 });
    if (!verdict.ok) {
      t.is(verdict.id, (await trailOf(store))[4]?.id ?? 'no record 5');
      t.regex(
        verdict.problem,
        /^MAC differs from the checkpoint on line 2 \(recorded at 2026-11-23T10:00:00\.000Z\): the records after seq 3 were replaced/,
      );
    }
  });

  if (driver.name === 'postgres')
    test('postgres: the tail deleted but the head row left → the next record chains after the deleted head, and verify names the gap', async (t) => {
      const { store, key, append, tamper } = await anchoredChain(t, driver);
      await tamper('DELETE FROM audit_log WHERE seq >= 4');
      const next = await append();
      t.is(next.seq, 6);
      t.like(await verifyChain(store.auditTrail(), key), {
        ok: false,
        seq: 6,
        problem: 'record 4..5 is missing',
      });
    });

  test(`${driver.name}: a record rewritten in place under a checkpoint is caught (by its MAC first)`, async (t) => {
    const { tamper, verify } = await anchoredChain(t, driver);
    await tamper("UPDATE audit_log SET sub = 'mallory' WHERE seq = 5");
    t.like(await verify(), {
      ok: false,
      seq: 5,
      problem: 'MAC does not match: the record was altered or sealed with another key',
    });
  });

  test(`${driver.name}: npm run audit:verify: intact with checkpoints → exit 0, saying how far they reach`, async (t) => {
    const { append, env } = await anchoredChain(t, driver);
    await append(); // seq 6, not checkpointed yet (the service would anchor it within a second)
    const { code, stdout } = await cli(env);
    t.is(code, 0);
    t.is(
      stdout,
      'audit chain intact: 6 records, last seq 6; 2 checkpoints match, the latest at seq 5 ' +
        '(2026-11-23T10:00:00.000Z); 1 newer records are not checkpointed yet\n',
    );
  });

  test(`${driver.name}: npm run audit:verify: the record of a delete removed → exit 1 naming the missing record`, async (t) => {
    const { tamper, env } = await anchoredChain(t, driver);
    await tamper(`DELETE FROM audit_log WHERE seq = 5; ${driver.rewindHead}`);
    const { code, stdout } = await cli(env);
    t.is(code, 1);
    t.is(
      stdout,
      'audit chain BROKEN at seq 5: record 5 is missing: the database ends at seq 4 but a checkpoint at ' +
        '2026-11-23T10:00:00.000Z (line 2) recorded seq 5\n',
    );
  });
}

test('postgres: npm run audit:verify reads with a role that may only SELECT the trail (it migrates nothing)', async (t) => {
  const postgres = STORE_DRIVERS.find((driver) => driver.name === 'postgres')!;
  const { env, tamper } = await anchoredChain(t, postgres);
  await tamper('CREATE ROLE verdict_auditor LOGIN; GRANT SELECT ON audit_log TO verdict_auditor');
  t.teardown(() => tamper('DROP OWNED BY verdict_auditor; DROP ROLE verdict_auditor'));
  const url = new URL(env.DATABASE_URL);
  url.username = 'verdict_auditor';
  const { code, stdout, stderr } = await cli({ ...env, DATABASE_URL: url.toString() });
  t.is(code, 0, stderr);
  t.regex(stdout, /^audit chain intact: 5 records, last seq 5; 2 checkpoints match/);
});

const MALFORMED: [string, string, string][] = [
  ['not JSON', '{"seq":', 'not JSON'],
  ['a blank line', '', 'not JSON'],
  ['an array', '[1]', 'not a JSON object'],
  ['a missing field', `{"seq":1,"mac":"${MAC}"}`, 'fields must be exactly seq, mac, time'],
  [
    'an extra field',
    `{"seq":1,"mac":"${MAC}","time":"2026-11-23T10:00:00.000Z","x":1}`,
    'fields must be exactly seq, mac, time',
  ],
  ['seq 0', `{"seq":0,"mac":"${MAC}","time":"2026-11-23T10:00:00.000Z"}`, 'seq is not a positive integer'],
  [
    'seq as text',
    `{"seq":"2","mac":"${MAC}","time":"2026-11-23T10:00:00.000Z"}`,
    'seq is not a positive integer',
  ],
  [
    'a fractional seq',
    `{"seq":2.5,"mac":"${MAC}","time":"2026-11-23T10:00:00.000Z"}`,
    'seq is not a positive integer',
  ],
  [
    'an upper-case MAC',
    `{"seq":2,"mac":"${MAC.toUpperCase()}","time":"2026-11-23T10:00:00.000Z"}`,
    'mac is not 64 lowercase hex digits',
  ],
  [
    'a short MAC',
    `{"seq":2,"mac":"abcd","time":"2026-11-23T10:00:00.000Z"}`,
    'mac is not 64 lowercase hex digits',
  ],
  ['a time that is no date', `{"seq":2,"mac":"${MAC}","time":"yesterday"}`, 'time is not a date-time'],
];
for (const [name, line, reason] of MALFORMED) {
  test(`a checkpoint line with ${name} is an error naming the line`, async (t) => {
    const { file } = await anchoredChain(t);
    appendFileSync(file, `${line}\n`);
    await t.throwsAsync(readCheckpoints(file), {
      instanceOf: CheckpointFileError,
      message: `${file}: line 3 is not a checkpoint: ${reason}`,
    });
  });
}

test('a last line torn by a crash (no newline) is an error naming the line', async (t) => {
  const { file } = await anchoredChain(t);
  appendFileSync(file, '{"seq":6,"mac":"ab');
  await t.throwsAsync(readCheckpoints(file), {
    instanceOf: CheckpointFileError,
    message: `${file}: line 3 does not end with a newline (a torn write?)`,
  });
});

test('npm run audit:verify: no checkpoint file → exit 2 saying so; with --allow-missing-checkpoints a warning and the chain alone', async (t) => {
  const { file, env } = await anchoredChain(t);
  rmSync(file);
  const refused = await cli(env);
  t.is(refused.code, 2);
  t.is(refused.stdout, '');
  t.is(
    refused.stderr,
    `audit:verify: no checkpoint file at ${file} (AUDIT_CHECKPOINT_FILE): without it deleting the newest ` +
      'records cannot be detected; pass --allow-missing-checkpoints to check the chain alone\n',
  );
  const allowed = await cli(env, '--allow-missing-checkpoints');
  t.is(allowed.code, 0);
  t.is(allowed.stdout, 'audit chain intact: 5 records, last seq 5\n');
  t.regex(
    allowed.stderr,
    /^audit:verify: WARNING: no checkpoint file at .*: checking the chain alone; deleting the newest records goes undetected\n$/,
  );
});

test('npm run audit:verify: a malformed checkpoint line or an unknown argument → exit 2 naming it', async (t) => {
  const { file, env } = await anchoredChain(t);
  const custom = { ...env, AUDIT_CHECKPOINT_FILE: file };
  appendFileSync(file, 'garbage\n');
  const malformed = await cli(custom);
  t.is(malformed.code, 2);
  t.is(malformed.stderr, `audit:verify: ${file}: line 3 is not a checkpoint: not JSON\n`);
  const unknown = await cli(custom, '--skip-checkpoints');
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown argument "--skip-checkpoints"/);
});
