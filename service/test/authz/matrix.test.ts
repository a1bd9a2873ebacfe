import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Transaction } from '../../src/transactions/model.js';
import { Harness, setupAuditEntry } from '../support/harness.js';

// The authorization matrix over HTTP against the compiled policy bundle: role × action × ownership
// × department → status and problem code. Each row gets fresh transactions, so rows are independent.
const h = await Harness.start();
test.after.always(() => h.stop());

const READ = 'transactions:read';
const ALL = 'transactions:read transactions:write transactions:delete transactions:approve audit:read';

type Subject = Record<string, unknown>;
const SUBJECTS: Record<string, Subject> = {
  alice: { sub: 'alice', scope: ALL },
  bob: { sub: 'bob', scope: ALL },
  supportRetail: { sub: 'sam', roles: ['support'], department: 'retail', scope: ALL },
  managerRetail: { sub: 'mia', roles: ['manager'], department: 'retail', scope: ALL },
  managerPrivate: { sub: 'max', roles: ['manager'], department: 'private', scope: ALL },
  auditor: { sub: 'aud', roles: ['auditor'], scope: ALL },
  admin: { sub: 'ada', roles: ['admin'], scope: ALL },
  adminManager: { sub: 'adm2', roles: ['admin', 'manager'], department: 'retail', scope: ALL },
  reporting: { sub: 'reporting', client_id: 'reporting', scope: ALL },
  gateway: { sub: 'payments-gateway', client_id: 'payments-gateway', scope: ALL },
  unknownClient: { sub: 'mystery', client_id: 'mystery', scope: ALL },
};

const BASE: Omit<Transaction, 'id'> = {
  owner: 'alice',
  account_id: 'acct-1',
  amount_minor: 4200,
  currency: 'EUR',
  category: 'groceries',
  counterparty: { name: 'Shop', account: 'DE0012345' },
  note: 'private note',
  status: 'pending',
  department: 'retail',
  created_at: '2026-11-20T09:30:00.000Z',
  updated_at: '2026-11-20T09:30:00.000Z',
  version: 1,
};

/** Seeds a transaction on the account of its owner and department (opened on first use). */
async function seed(overrides: Partial<Transaction> = {}): Promise<string> {
  const id = randomUUID();
  const row = { ...BASE, ...overrides, id };
  const account_id = await h.account(row.owner, row.department);
  const outcome = await h.store.create({ ...row, account_id }, setupAuditEntry(id));
  if (outcome.kind !== 'created') throw new Error(`seed: ${outcome.kind}`);
  return id;
}

const stepUp = () => h.steppedUp;

interface Row {
  readonly name: string;
  readonly as: Subject;
  readonly method: string;
  /** What the row acts on: a transaction seeded with these attributes, or the collection. */
  readonly on?: Partial<Transaction>;
  readonly path?: (id: string) => string;
  readonly body?: unknown;
  /** For creates: the holder and branch of the account the body names (alice's by default). */
  readonly account?: readonly [string, string];
  readonly headers?: [string, string][];
  readonly status: number;
  readonly code?: string;
  readonly reasons?: string[];
}

const item = (id: string) => `/transactions/${id}`;
const approve = (id: string) => `/transactions/${id}/approve`;
const reject = (id: string) => `/transactions/${id}/reject`;
const NEW = {
  account_id: 'acct-1',
  amount_minor: 4200,
  currency: 'EUR',
  category: 'dining',
  counterparty: { name: 'Cafe', account: 'FR761' },
};

const ROWS: Row[] = [
  // Reads
  { name: 'customer reads own', as: SUBJECTS.alice!, method: 'GET', on: {}, status: 200 },
  {
    name: 'customer reads another customer’s',
    as: SUBJECTS.bob!,
    method: 'GET',
    on: {},
    status: 404,
    code: 'not_found',
  },
  { name: 'support reads in department', as: SUBJECTS.supportRetail!, method: 'GET', on: {}, status: 200 },
  {
    name: 'support reads other department',
    as: SUBJECTS.supportRetail!,
    method: 'GET',
    on: { department: 'private' },
    status: 404,
    code: 'not_found',
  },
  {
    name: 'manager reads other department',
    as: SUBJECTS.managerRetail!,
    method: 'GET',
    on: { department: 'private' },
    status: 404,
    code: 'not_found',
  },
  {
    name: 'manager reads own department',
    as: SUBJECTS.managerPrivate!,
    method: 'GET',
    on: { department: 'private' },
    status: 200,
  },
  {
    name: 'auditor reads anywhere',
    as: SUBJECTS.auditor!,
    method: 'GET',
    on: { department: 'americas' },
    status: 200,
  },
  {
    name: 'admin reads anywhere',
    as: SUBJECTS.admin!,
    method: 'GET',
    on: { department: 'online' },
    status: 200,
  },
  { name: 'reporting client reads', as: SUBJECTS.reporting!, method: 'GET', on: {}, status: 200 },
  {
    name: 'unknown service client reads nothing',
    as: SUBJECTS.unknownClient!,
    method: 'GET',
    on: {},
    status: 404,
    code: 'not_found',
  },
  // Updates
  {
    name: 'customer updates own',
    as: SUBJECTS.alice!,
    method: 'PATCH',
    on: {},
    body: { note: 'x' },
    headers: [['If-Match', '"1"']],
    status: 200,
  },
  {
    name: 'customer updates another’s',
    as: SUBJECTS.bob!,
    method: 'PATCH',
    on: {},
    body: { note: 'x' },
    headers: [['If-Match', '"1"']],
    status: 404,
    code: 'not_found',
  },
  {
    name: 'support cannot update',
    as: SUBJECTS.supportRetail!,
    method: 'PATCH',
    on: {},
    body: { note: 'x' },
    headers: [['If-Match', '"1"']],
    status: 403,
    code: 'forbidden',
    reasons: ['action_not_permitted'],
  },
  {
    name: 'auditor cannot update',
    as: SUBJECTS.auditor!,
    method: 'PATCH',
    on: {},
    body: { note: 'x' },
    headers: [['If-Match', '"1"']],
    status: 403,
    code: 'forbidden',
  },
  // Deletes (always step-up)
  {
    name: 'customer deletes own pending without step-up',
    as: SUBJECTS.alice!,
    method: 'DELETE',
    on: {},
    status: 401,
    code: 'insufficient_user_authentication',
  },
  {
    name: 'customer deletes own pending with step-up',
    as: { ...SUBJECTS.alice!, step: true },
    method: 'DELETE',
    on: {},
    status: 204,
  },
  {
    name: 'customer deletes own settled',
    as: { ...SUBJECTS.alice!, step: true },
    method: 'DELETE',
    on: { status: 'settled' },
    status: 403,
    code: 'forbidden',
    reasons: ['not_pending'],
  },
  {
    name: 'admin deletes any status with step-up',
    as: { ...SUBJECTS.admin!, step: true },
    method: 'DELETE',
    on: { status: 'settled', owner: 'bob' },
    status: 204,
  },
  {
    name: 'manager cannot delete',
    as: { ...SUBJECTS.managerRetail!, step: true },
    method: 'DELETE',
    on: {},
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'reporting client cannot delete',
    as: SUBJECTS.reporting!,
    method: 'DELETE',
    on: {},
    status: 403,
    code: 'forbidden',
  },
  // Approve and reject
  {
    name: 'manager approves in department',
    as: SUBJECTS.managerRetail!,
    method: 'POST',
    on: {},
    path: approve,
    status: 200,
  },
  {
    name: 'manager rejects in department',
    as: SUBJECTS.managerRetail!,
    method: 'POST',
    on: {},
    path: reject,
    status: 200,
  },
  {
    name: 'manager approves own',
    as: SUBJECTS.managerRetail!,
    method: 'POST',
    on: { owner: 'mia' },
    path: approve,
    status: 403,
    code: 'forbidden',
    reasons: ['self_approval'],
  },
  {
    name: 'manager approves other department',
    as: SUBJECTS.managerPrivate!,
    method: 'POST',
    on: {},
    path: approve,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'manager approves a settled one',
    as: SUBJECTS.managerRetail!,
    method: 'POST',
    on: { status: 'settled' },
    path: approve,
    status: 403,
    code: 'forbidden',
    reasons: ['not_pending'],
  },
  {
    name: 'manager approves above the limit',
    as: SUBJECTS.managerRetail!,
    method: 'POST',
    on: { amount_minor: 6_000_000 },
    path: approve,
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'manager approves above the step-up threshold without step-up',
    as: SUBJECTS.managerRetail!,
    method: 'POST',
    on: { amount_minor: 2_000_000 },
    path: approve,
    status: 401,
    code: 'insufficient_user_authentication',
  },
  {
    name: 'manager approves above the step-up threshold with step-up',
    as: { ...SUBJECTS.managerRetail!, step: true },
    method: 'POST',
    on: { amount_minor: 2_000_000 },
    path: approve,
    status: 200,
  },
  {
    name: 'admin never approves',
    as: SUBJECTS.admin!,
    method: 'POST',
    on: {},
    path: approve,
    status: 403,
    code: 'forbidden',
    reasons: ['action_not_permitted', 'admin_approval'],
  },
  {
    name: 'admin who is also a manager never approves',
    as: SUBJECTS.adminManager!,
    method: 'POST',
    on: {},
    path: approve,
    status: 403,
    code: 'forbidden',
    reasons: ['admin_approval'],
  },
  {
    name: 'customer cannot approve',
    as: SUBJECTS.bob!,
    method: 'POST',
    on: { owner: 'bob' },
    path: approve,
    status: 403,
    code: 'forbidden',
  },
  // Creates
  { name: 'customer creates', as: SUBJECTS.alice!, method: 'POST', body: NEW, status: 201 },
  {
    name: "customer creates on someone else's account",
    as: SUBJECTS.alice!,
    method: 'POST',
    body: NEW,
    account: ['bob', 'retail'],
    status: 404,
    code: 'not_found',
  },
  {
    name: 'customer creates above the threshold without step-up',
    as: SUBJECTS.alice!,
    method: 'POST',
    body: { ...NEW, amount_minor: 2_000_000 },
    status: 401,
    code: 'insufficient_user_authentication',
  },
  {
    name: 'customer creates above the threshold with step-up',
    as: { ...SUBJECTS.alice!, step: true },
    method: 'POST',
    body: { ...NEW, amount_minor: 2_000_000 },
    status: 201,
  },
  {
    name: 'support cannot create',
    as: SUBJECTS.supportRetail!,
    method: 'POST',
    body: NEW,
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'payments gateway creates for a customer',
    as: SUBJECTS.gateway!,
    method: 'POST',
    body: NEW,
    status: 201,
  },
  {
    name: 'reporting client cannot create',
    as: SUBJECTS.reporting!,
    method: 'POST',
    body: NEW,
    status: 403,
    code: 'forbidden',
  },
  // Audit log
  {
    name: 'auditor reads the audit log',
    as: SUBJECTS.auditor!,
    method: 'GET',
    path: () => '/audit',
    status: 200,
  },
  {
    name: 'audit-exporter client reads the audit log',
    as: { sub: 'audit-exporter', client_id: 'audit-exporter', scope: 'audit:read' },
    method: 'GET',
    path: () => '/audit',
    status: 200,
  },
  {
    name: 'admin cannot read the audit log',
    as: SUBJECTS.admin!,
    method: 'GET',
    path: () => '/audit',
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'customer cannot read the audit log',
    as: SUBJECTS.alice!,
    method: 'GET',
    path: () => '/audit',
    status: 403,
    code: 'forbidden',
  },
];

for (const row of ROWS) {
  test(`${row.name} → ${row.status}${row.code === undefined ? '' : ` ${row.code}`}`, async (t) => {
    const { step, ...claims } = row.as;
    const token = await h.token({ ...claims, ...(step === true ? stepUp() : {}) });
    const id = row.on === undefined ? '' : await seed(row.on);
    const path = row.path?.(id) ?? (row.on === undefined ? '/transactions' : item(id));
    const body =
      row.method === 'POST' && path === '/transactions'
        ? { ...(row.body as object), account_id: await h.account(...(row.account ?? ['alice', 'retail'])) }
        : row.body;
    const res = await h.request(row.method, path, { token, body, headers: row.headers });
    t.is(res.status, row.status, res.text);
    if (row.code !== undefined) t.is(res.body.code, row.code);
    if (row.reasons !== undefined) t.deepEqual(res.body.reasons, row.reasons);
    if (row.status === 401) {
      t.regex(
        String(res.headers['www-authenticate']),
        /error="insufficient_user_authentication".*acr_values="urn:verdict:acr:mfa urn:verdict:acr:phr", max_age=300/,
      );
    }
  });
}

test('property-level redaction: support loses account and note, auditors the account, owners nothing', async (t) => {
  const id = await seed();
  const read = async (subject: Subject) =>
    (await h.request('GET', item(id), { token: await h.token(subject) })).body;
  t.deepEqual(
    [(await read(SUBJECTS.supportRetail!)).counterparty.account, (await read(SUBJECTS.supportRetail!)).note],
    [null, null],
  );
  t.deepEqual(
    [(await read(SUBJECTS.auditor!)).counterparty.account, (await read(SUBJECTS.auditor!)).note],
    [null, 'private note'],
  );
  t.deepEqual(
    [(await read(SUBJECTS.alice!)).counterparty.account, (await read(SUBJECTS.alice!)).note],
    ['DE0012345', 'private note'],
  );
  t.is((await read(SUBJECTS.supportRetail!)).counterparty.name, 'Shop');
});

test('lists: each caller sees exactly the rows the policy lets them read, redacted the same way', async (t) => {
  const owner = `list-${randomUUID()}`;
  const retail = await seed({ owner });
  const privateId = await seed({ owner, department: 'private' });
  const list = async (subject: Subject) => {
    const res = await h.request('GET', '/transactions?limit=100', { token: await h.token(subject) });
    t.is(res.status, 200, res.text);
    return (res.body.items as Transaction[]).filter((row) => row.owner === owner);
  };
  t.deepEqual(
    (await list({ sub: owner, scope: READ })).map((row) => row.id).sort(),
    [retail, privateId].sort(),
  );
  const support = await list(SUBJECTS.supportRetail!);
  t.deepEqual(
    support.map((row) => row.id),
    [retail],
  );
  t.is(support[0]!.note, null);
  t.deepEqual(
    (await list(SUBJECTS.managerPrivate!)).map((row) => row.id),
    [privateId],
  );
  t.is((await list(SUBJECTS.auditor!)).length, 2);
  t.is((await list(SUBJECTS.bob!)).length, 0);
  const unknown = await h.request('GET', '/transactions', { token: await h.token(SUBJECTS.unknownClient) });
  t.is(unknown.status, 403, 'a client the data does not list may not even list');
  t.deepEqual(unknown.body.reasons, ['action_not_permitted']);
});

test('AI agents: reads and lists are limited by age, amount and excluded categories (404 outside)', async (t) => {
  const owner = `agent-${randomUUID()}`;
  const recent = await seed({ owner, created_at: '2026-11-20T09:30:00.000Z', amount_minor: 5000 });
  const old = await seed({ owner, created_at: '2026-09-01T09:30:00.000Z', amount_minor: 5000 });
  const big = await seed({ owner, created_at: '2026-11-21T09:30:00.000Z', amount_minor: 50_000 });
  const gambling = await seed({
    owner,
    created_at: '2026-11-22T09:30:00.000Z',
    amount_minor: 5000,
    category: 'gambling',
  });
  const agent = await h.token({
    sub: owner,
    scope: READ,
    agent: { id: 'assistant-1', client_type: 'confidential' },
    transaction_not_older_than: 30,
    transaction_amount_limit: 10_000,
    excluded_categories: ['gambling'],
  });
  t.is((await h.request('GET', item(recent), { token: agent })).status, 200);
  for (const hidden of [old, big, gambling]) {
    const res = await h.request('GET', item(hidden), { token: agent });
    t.is(res.status, 404);
    t.is(res.body.code, 'not_found');
  }
  const listed = await h.request('GET', '/transactions?limit=100', { token: agent });
  t.deepEqual(
    (listed.body.items as Transaction[]).map((row) => row.id),
    [recent],
  );
});

test('AI agents: every write needs step-up; public agents never create above the cap', async (t) => {
  const owner = `agent-${randomUUID()}`;
  const confidential = { sub: owner, scope: ALL, agent: { id: 'assistant-2', client_type: 'confidential' } };
  const own = { ...NEW, account_id: await h.account(owner) };
  const noStepUp = await h.request('POST', '/transactions', {
    token: await h.token(confidential),
    body: own,
  });
  t.is(noStepUp.status, 401);
  t.is(noStepUp.body.code, 'insufficient_user_authentication');
  const approved = await h.request('POST', '/transactions', {
    token: await h.token({ ...confidential, ...stepUp() }),
    body: own,
  });
  t.is(approved.status, 201);
  const publicAgent = { ...confidential, agent: { id: 'browser-agent', client_type: 'public' }, ...stepUp() };
  const capped = await h.request('POST', '/transactions', {
    token: await h.token(publicAgent),
    body: { ...own, amount_minor: 60_000 },
  });
  t.is(capped.status, 403);
  t.deepEqual(capped.body.reasons, ['agent_create_limit']);
  const small = await h.request('POST', '/transactions', { token: await h.token(publicAgent), body: own });
  t.is(small.status, 201);
});

test.serial('business hours: a manager approves at 16:59:59 Berlin time, not at 17:00:00', async (t) => {
  const frozen = h.clockMs;
  t.teardown(() => {
    h.clockMs = frozen;
  });
  const manager = SUBJECTS.managerRetail!;
  h.clockMs = Date.parse('2026-11-23T15:59:59Z');
  const open = await h.request('POST', approve(await seed()), { token: await h.token(manager) });
  t.is(open.status, 200, open.text);
  h.clockMs = Date.parse('2026-11-23T16:00:00Z');
  const closed = await h.request('POST', approve(await seed()), { token: await h.token(manager) });
  t.is(closed.status, 403);
  t.deepEqual(closed.body.reasons, ['outside_business_hours']);
});

test('BOLA: PATCH cannot touch owner, status or amount, and a customer walking ids learns nothing', async (t) => {
  const id = await seed({ owner: 'victim' });
  const attacker = await h.token({ sub: 'attacker', scope: ALL });
  for (const body of [{ owner: 'attacker' }, { status: 'approved' }, { amount_minor: 1 }]) {
    const res = await h.request('PATCH', item(id), {
      token: await h.token({ sub: 'victim', scope: ALL }),
      body,
      headers: [['If-Match', '"1"']],
    });
    t.is(res.status, 400);
    t.is(res.body.code, 'validation_failed');
  }
  const probe = await h.request('GET', item(id), { token: attacker });
  const missing = await h.request('GET', item(randomUUID()), { token: attacker });
  t.deepEqual(
    [probe.status, probe.body.code, probe.body.title],
    [missing.status, missing.body.code, missing.body.title],
  );
});

test('a hidden id and a missing id answer alike whatever the body (policy before body)', async (t) => {
  const hidden = await seed({ owner: 'victim' });
  const missing = randomUUID();
  const attacker = await h.token({ sub: 'attacker', scope: ALL, roles: [] });
  const probes: [string, (id: string) => string, Parameters<typeof h.request>[2]][] = [
    ['PATCH', item, { body: { owner: 'attacker' }, headers: [['If-Match', '"1"']] }],
    ['PATCH', item, { rawBody: 'note=x', headers: [['Content-Type', 'text/plain']] }],
    ['POST', approve, { body: { x: 1 } }],
    ['POST', reject, { rawBody: '{', headers: [['Content-Type', 'application/json']] }],
  ];
  for (const [method, path, options] of probes) {
    const a = await h.request(method, path(hidden), { ...options, token: attacker });
    const b = await h.request(method, path(missing), { ...options, token: attacker });
    t.deepEqual([a.status, a.body.code], [404, 'not_found'], `${method} hidden`);
    t.deepEqual([b.status, b.body.code], [404, 'not_found'], `${method} missing`);
  }
});

test('an update is decided on the result too: an agent cannot move a transaction into an excluded category', async (t) => {
  const owner = `agent-${randomUUID()}`;
  const id = await seed({ owner, category: 'groceries' });
  const agent = await h.token({
    sub: owner,
    scope: ALL,
    agent: { id: 'assistant-3', client_type: 'confidential' },
    excluded_categories: ['gambling'],
    ...stepUp(),
  });
  const res = await h.request('PATCH', item(id), {
    token: agent,
    body: { category: 'gambling' },
    headers: [['If-Match', '"1"']],
  });
  // It saw the transaction, so the refused result is a 403 with the reason, not a 404.
  t.is(res.status, 403, res.text);
  t.is(res.body.code, 'forbidden');
  t.deepEqual(res.body.reasons, ['agent_category_excluded']);
  t.is((await h.store.get(id))?.category, 'groceries');
  const allowed = await h.request('PATCH', item(id), {
    token: agent,
    body: { category: 'dining' },
    headers: [['If-Match', '"1"']],
  });
  t.is(allowed.status, 200, allowed.text);
});

for (const client_type of ['confidential', 'public'] as const) {
  test(`a ${client_type} agent cannot update a transaction into an excluded category → 403, whatever its other limits`, async (t) => {
    const owner = `agent-${randomUUID()}`;
    const id = await seed({ owner, category: 'groceries', amount_minor: 5000 });
    const agent = await h.token({
      sub: owner,
      scope: ALL,
      agent: { id: 'assistant-4', client_type },
      transaction_amount_limit: '10000',
      excluded_categories: ['crypto'],
      ...stepUp(),
    });
    const res = await h.request('PATCH', item(id), {
      token: agent,
      body: { category: 'crypto' },
      headers: [['If-Match', '"1"']],
    });
    t.is(res.status, 403, res.text);
    t.is(res.body.code, 'forbidden');
    t.deepEqual(res.body.reasons, ['agent_category_excluded']);
    t.is((await h.store.get(id))?.version, 1);
  });
}
