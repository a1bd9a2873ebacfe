import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoints } from '../../src/audit/checkpoint.js';
import { AuditCheckpointer, CHECKPOINT_INTERVAL_MS, type Schedule } from '../../src/audit/checkpointer.js';
import { sealWith } from '../../src/audit/record.js';
import { ConfigError, loadAuditConfig, loadConfig } from '../../src/config.js';
import { ServiceMetrics } from '../../src/metrics/service-metrics.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { FROZEN_NOW_MS, sample, setupAuditEntry } from '../support/harness.js';

/** A schedule the test fires by hand: no sleeping, no wall clock. */
function manualTimers() {
  const timers: { callback: () => void; ms: number; cancelled: boolean }[] = [];
  const schedule: Schedule = (callback, ms) => {
    const timer = { callback, ms, cancelled: false };
    timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  };
  const pending = () => timers.filter((timer) => !timer.cancelled);
  const fire = (): void => {
    const due = pending();
    timers.length = 0;
    for (const timer of due) timer.callback();
  };
  return { schedule, pending, fire };
}

function setup(t: any, options: { onCheckpoint?: (seq: number, atMs: number) => void } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-checkpoint-'));
  const file = join(dir, 'checkpoints', 'audit-checkpoints.jsonl');
  const timers = manualTimers();
  let reportError: (error: unknown) => void = () => undefined;
  const firstError = new Promise<unknown>((resolve) => (reportError = resolve));
  const checkpointer = AuditCheckpointer.create({
    file,
    now: () => FROZEN_NOW_MS,
    schedule: timers.schedule,
    onCheckpoint: (checkpoint, atMs) => options.onCheckpoint?.(checkpoint.seq, atMs),
    onError: (error) => {
      reportError(error);
    },
  });
  // As server.ts wires it: the store is opened with the checkpointer's hook.
  const store = SqliteStore.open(join(dir, 'verdict.db'), {
    seal: sealWith(randomBytes(32)),
    now: () => FROZEN_NOW_MS,
    onAuditAppended: (log) => {
      checkpointer.notify(log);
    },
  });
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  const append = async (count: number) => {
    for (let i = 0; i < count; i++) await store.appendAudit({ ...setupAuditEntry(`r${++n}`), id: `e${n}` });
  };
  /** Fires the pending timer and waits for the write it started. */
  const tick = async () => {
    timers.fire();
    await checkpointer.flush();
  };
  return { dir, store, file, timers, firstError, checkpointer, append, tick };
}

test.serial(
  'many records within a second give one timer and one fsync’d line: the committed head',
  async (t) => {
    const { store, file, timers, append, tick } = setup(t);
    t.deepEqual(await readCheckpoints(file), [], 'the file is created, empty, at start');
    t.is(statSync(file).mode & 0o777, 0o600);

    const probe = await open(file, 'r');
    const prototype = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const sync = prototype.sync;
    let syncs = 0;
    prototype.sync = function countedSync(this: unknown) {
      syncs++;
      return sync.call(this);
    };
    t.teardown(() => {
      prototype.sync = sync;
    });

    await append(10);
    t.deepEqual(
      timers.pending().map((timer) => timer.ms),
      [CHECKPOINT_INTERVAL_MS],
      'one write scheduled for the whole burst',
    );
    t.is(readFileSync(file, 'utf8'), '', 'nothing is written before the timer fires');
    await tick();
    const head = await store.auditHead();
    t.like(head, { seq: 10 });
    t.is(readFileSync(file, 'utf8'), `${JSON.stringify({ seq: 10, mac: head!.mac, time: head!.time })}\n`);
    t.deepEqual(await readCheckpoints(file), [{ ...head!, line: 1 }]);
    t.is(syncs, 1, 'the line is fsync’d');
  },
);

test('each later batch adds a line; an unchanged head adds none; close writes the last one without waiting', async (t) => {
  const { store, file, timers, checkpointer, append, tick } = setup(t);
  await append(1);
  await tick();
  await append(2);
  await tick();
  checkpointer.notify(store); // a hook call whose transaction rolled back: the head did not move
  await tick();
  const [first, second, ...none] = (await readCheckpoints(file)) ?? [];
  t.like(first, { seq: 1 });
  t.like(second, { seq: 3 });
  t.deepEqual(none, []);

  await append(1);
  t.is(timers.pending().length, 1);
  await checkpointer.close();
  t.is(timers.pending().length, 0, 'close cancels the timer and writes at once');
  t.deepEqual(await readCheckpoints(file), [first, second, { ...(await store.auditHead())!, line: 3 }]);
  t.like(await store.auditHead(), { seq: 4 });
  await append(1);
  t.is(timers.pending().length, 0, 'a closed checkpointer schedules nothing');
  await checkpointer.close();
  t.like((await readCheckpoints(file))?.at(-1), { seq: 5, line: 4 }, 'but a later close still anchors it');
  await checkpointer.close();
  t.is((await readCheckpoints(file))?.length, 4, 'nothing new since the last close: nothing written');
});

test('close writes nothing when no record was appended', async (t) => {
  const { file, checkpointer } = setup(t);
  await checkpointer.close();
  t.deepEqual(await readCheckpoints(file), []);
});

test('the checkpoint seq and time are exported as metrics', async (t) => {
  const metrics = new ServiceMetrics();
  const { append, tick } = setup(t, {
    onCheckpoint: (seq, atMs) => {
      metrics.observeCheckpoint(seq, atMs);
    },
  });
  const before = await metrics.registry.metrics();
  t.is(sample(before, 'verdict_audit_checkpoint_seq'), 0);
  t.is(sample(before, 'verdict_audit_checkpoint_timestamp_seconds'), 0);
  t.is(sample(before, 'verdict_audit_checkpoint_failures_total'), 0);
  await append(3);
  await tick();
  const after = await metrics.registry.metrics();
  t.is(sample(after, 'verdict_audit_checkpoint_seq'), 3);
  t.is(sample(after, 'verdict_audit_checkpoint_timestamp_seconds'), FROZEN_NOW_MS / 1000);
});

test('a failed write is reported and retried a second later', async (t) => {
  const { file, timers, firstError, append, tick } = setup(t);
  rmSync(file);
  mkdirSync(file); // the path is now a folder: appending fails with EISDIR
  await append(1);
  timers.fire();
  t.is(((await firstError) as NodeJS.ErrnoException).code, 'EISDIR');
  t.deepEqual(
    timers.pending().map((timer) => timer.ms),
    [CHECKPOINT_INTERVAL_MS],
    'a retry is scheduled',
  );
  rmSync(file, { recursive: true });
  await tick();
  t.deepEqual(
    (await readCheckpoints(file))?.map((line) => line.seq),
    [1],
  );
});

test('a checkpoint path that cannot be written stops the start', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-checkpoint-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const notAFolder = join(dir, 'plain-file');
  writeFileSync(notAFolder, '');
  t.throws(() => AuditCheckpointer.create({ file: join(notAFolder, 'sub', 'c.jsonl'), now: Date.now }), {
    code: 'ENOTDIR',
  });
});

const CHECKPOINT_FILES: [string, Record<string, string>, string][] = [
  ['beside the development key by default', {}, join('data', 'audit-checkpoints.jsonl')],
  [
    'beside a configured key',
    { AUDIT_HMAC_KEY_FILE: '/etc/verdict/audit.key' },
    '/etc/verdict/audit-checkpoints.jsonl',
  ],
  [
    'where AUDIT_CHECKPOINT_FILE says',
    { AUDIT_CHECKPOINT_FILE: '/var/log/verdict/anchors.jsonl' },
    '/var/log/verdict/anchors.jsonl',
  ],
];
for (const [name, env, file] of CHECKPOINT_FILES) {
  test(`AUDIT_CHECKPOINT_FILE: ${name}`, (t) => {
    t.is(loadAuditConfig(env).audit.checkpointFile, file);
  });
}

test('AUDIT_CHECKPOINT_FILE reaches the service configuration', (t) => {
  const config = loadConfig({
    JWKS_URL: 'https://issuer.example/jwks',
    JWT_ISSUER: 'https://issuer.example',
    JWT_AUDIENCE: 'verdict',
    AUDIT_CHECKPOINT_FILE: '/srv/anchors.jsonl',
  });
  t.is(config.audit.checkpointFile, '/srv/anchors.jsonl');
});

const REFUSED: [string, Record<string, string>, RegExp][] = [
  [
    'the database file',
    { DATABASE_URL: 'sqlite:/srv/verdict.db', AUDIT_CHECKPOINT_FILE: '/srv/verdict.db' },
    /outside the database/,
  ],
  [
    'the database file, written another way',
    { DATABASE_URL: 'sqlite:./data/verdict.db', AUDIT_CHECKPOINT_FILE: 'data/../data/verdict.db' },
    /outside the database/,
  ],
  [
    'the database’s WAL file',
    { DATABASE_URL: 'sqlite:/srv/verdict.db', AUDIT_CHECKPOINT_FILE: '/srv/verdict.db-wal' },
    /outside the database/,
  ],
  [
    'the audit key file',
    { AUDIT_HMAC_KEY_FILE: '/srv/audit.key', AUDIT_CHECKPOINT_FILE: '/srv/audit.key' },
    /audit key file/,
  ],
];
for (const [name, env, message] of REFUSED) {
  test(`AUDIT_CHECKPOINT_FILE may not be ${name}`, (t) => {
    const error = t.throws(() => loadAuditConfig(env), { instanceOf: ConfigError, message });
    t.is(error.variable, 'AUDIT_CHECKPOINT_FILE');
  });
}
