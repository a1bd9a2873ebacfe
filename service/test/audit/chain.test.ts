import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoints } from '../../src/audit/checkpoint.js';
import { AuditCheckpointer, type Schedule } from '../../src/audit/checkpointer.js';
import { verifyChain } from '../../src/audit/verify.js';
import type { Store } from '../../src/store/store.js';
import { setupAuditEntry, FROZEN_NOW_MS } from '../support/harness.js';
import { STORE_DRIVERS } from '../support/store-drivers.js';
import { trailOf } from '../support/trail.js';
import { ACCOUNT, entry, transaction } from '../store/fixtures.js';

// The audit suite's chain tests, once per driver: appends, tampering found by verify, and the one
// total order of two replicas writing at once, each anchoring the chain in its own checkpoint file.

/** Timers that never fire by themselves: the test flushes. */
const never: Schedule = () => () => undefined;

/** A record of `resource` with an id of its own. */
const read = (resource: string) => ({
  ...setupAuditEntry(resource),
  id: `read-${resource}-${randomBytes(4).toString('hex')}`,
  action: 'transactions:read',
});

const TAMPERING: [string, string, number, RegExp][] = [
  ['a record edited', "UPDATE audit_log SET sub = 'mallory' WHERE seq = 3", 3, /MAC does not match/],
  ['a record deleted', 'DELETE FROM audit_log WHERE seq = 2', 3, /record 2 is missing/],
  [
    'the last record deleted and the one before renumbered',
    'DELETE FROM audit_log WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 5',
    4,
    /prev_mac/,
  ],
  [
    'two records swapped',
    'UPDATE audit_log SET seq = 100 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 100',
    2,
    /prev_mac/,
  ],
];

for (const driver of STORE_DRIVERS) {
  test(`${driver.name}: appends chain from genesis in seq order; the head is the last committed record`, async (t) => {
    const { store, key } = await driver.open(t);
    t.is(await store.auditHead(), undefined, 'an empty trail has no head');
    const appended = [];
    for (let i = 0; i < 5; i++) appended.push(await store.appendAudit(read(`r${i}`)));
    t.deepEqual(
      appended.map((record) => record.seq),
      [1, 2, 3, 4, 5],
    );
    t.deepEqual(await trailOf(store), appended, 'the trail reads back what was sealed, byte for byte');
    t.deepEqual(await store.auditHead(), { seq: 5, mac: appended[4]!.mac, time: appended[4]!.time });
    t.deepEqual(await verifyChain(store.auditTrail(), key), { ok: true, records: 5, lastSeq: 5 });
    t.deepEqual(
      (await store.listAudit({ limit: 2, beforeSeq: 5 })).map((record) => record.seq),
      [4, 3],
    );
  });

  for (const [name, sql, seq, problem] of TAMPERING) {
    test(`${driver.name}: verify catches ${name} and names the first broken record`, async (t) => {
      const { store, key, exec } = await driver.open(t);
      for (let i = 0; i < 5; i++) await store.appendAudit(read(`r${i}`));
      await exec(sql);
      const verdict = await verifyChain(store.auditTrail(), key);
      t.like(verdict, { ok: false, seq });
      if (!verdict.ok) t.regex(verdict.problem, problem);
    });
  }

  test(`${driver.name}: two replicas, 200 concurrent audited writes: one total order, every checkpoint on it`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-replicas-'));
    t.teardown(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const files = [join(dir, 'a.jsonl'), join(dir, 'b.jsonl')] as const;
    const checkpointers = files.map((file) =>
      AuditCheckpointer.create({ file, now: () => FROZEN_NOW_MS, schedule: never }),
    );
    const {
      store: a,
      key,
      replica,
    } = await driver.open(t, {
      onAuditAppended: (log) => {
        checkpointers[0]!.notify(log);
      },
    });
    const b = await replica({
      onAuditAppended: (log) => {
        checkpointers[1]!.notify(log);
      },
    });
    const replicas: Store[] = [a, b];
    await a.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
    const written = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const store = replicas[i % 2]!;
        if (i % 20 === 10) await Promise.all(checkpointers.map((checkpointer) => checkpointer.flush()));
        if (i % 4 < 2) return store.appendAudit(read(`r${i}`));
        const outcome = await store.create(transaction(`tx-${i}`), entry(`tx-${i}`));
        return outcome.kind;
      }),
    );
    t.true(written.every((result) => result === 'created' || typeof result === 'object'));
    await Promise.all(checkpointers.map((checkpointer) => checkpointer.close()));

    const trail = await trailOf(a);
    t.deepEqual(
      trail.map((record) => record.seq),
      Array.from({ length: 201 }, (_, i) => i + 1),
      'seqs contiguous from 1',
    );
    t.is(new Set(trail.map((record) => record.id)).size, 201, 'no record twice');
    t.is(new Set(trail.map((record) => record.prev_mac)).size, 201, 'no two records chained after one');
    const [linesA, linesB] = await Promise.all(files.map((file) => readCheckpoints(file)));
    t.true((linesA?.length ?? 0) > 0 && (linesB?.length ?? 0) > 0, 'each replica anchors the chain');
    t.is(
      Math.max(linesA?.at(-1)?.seq ?? 0, linesB?.at(-1)?.seq ?? 0),
      201,
      'the last checkpoint written is the committed head',
    );
    t.deepEqual(await verifyChain(a.auditTrail(), key, [...(linesA ?? []), ...(linesB ?? [])]), {
      ok: true,
      records: 201,
      lastSeq: 201,
    });
    t.deepEqual(await trailOf(b), trail, 'both replicas read one trail');
  });

  test(`${driver.name}: the replica that commits checkpoints the committed head, another replica's record included`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-replicas-'));
    t.teardown(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const file = join(dir, 'b.jsonl');
    const checkpointer = AuditCheckpointer.create({ file, now: () => FROZEN_NOW_MS, schedule: never });
    const { store: a, key, replica } = await driver.open(t);
    const b = await replica({
      onAuditAppended: (log) => {
        checkpointer.notify(log);
      },
    });
    await a.appendAudit(read('a1'));
    await b.appendAudit(read('b2'));
    const third = await a.appendAudit(read('a3'));
    await checkpointer.close();
    const lines = await readCheckpoints(file);
    t.deepEqual(lines, [{ seq: 3, mac: third.mac, time: third.time, line: 1 }]);
    t.deepEqual(await verifyChain(b.auditTrail(), key, lines), { ok: true, records: 3, lastSeq: 3 });
  });
}
