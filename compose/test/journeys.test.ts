/**
 * End to end through the real gateway over HTTPS: the local stack (compose/stack/local-stack.mjs)
 * on free loopback ports in a temporary data directory — the real authorization server issuing
 * opaque tokens, nginx exchanging them for JWTs, the compiled service and sidecar on signed bundles
 * from the bundle server. Each role's journey with real tokens (code + PKCE logins, client
 * credentials). Serial: the last tests stop the authorization server. `npm run build` first.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readClientSecret } from '../../auth-server/src/keys.js';
import { clientCredentials, login, type LoginOptions } from '../../auth-server/src/login.js';
import { startStack, type GatewayAnswer, type GatewayRequest, type Stack } from '../stack/local-stack.mjs';
import { freePort } from './support/fakes.js';

interface Transaction {
  id: string;
  owner: string;
  account_id: string;
  amount_minor: number;
  currency: string;
  status: string;
  department: string;
  note: string | null;
  counterparty: { name: string; account: string | null };
}

const dir = mkdtempSync(join(tmpdir(), 'verdict-stack-'));
let stack: Stack;
/** Every opaque token and JWT the suite handled, to search the gateway's logs for. */
const secrets = new Set<string>();
/** Every Bearer challenge the gateway answered with (its own and the service's). */
const challenges: string[] = [];

async function call(
  path: string,
  token: string | undefined,
  init: GatewayRequest = {},
): Promise<GatewayAnswer> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
  if (token !== undefined) {
    secrets.add(token);
    headers.authorization = `Bearer ${token}`;
  }
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const answer = await stack.request(path, { ...init, headers });
  const challenge = answer.headers['www-authenticate'];
  if (challenge !== undefined) challenges.push(challenge);
  return answer;
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape
function json<T = any>(answer: GatewayAnswer): T {
  return JSON.parse(answer.body) as T;
}

/** An opaque access token from a real authorization-code + PKCE login. */
async function tokenFor(options: Omit<LoginOptions, 'issuer'>): Promise<string> {
  const { access_token } = await login({ issuer: stack.issuer, ...options });
  secrets.add(access_token);
  return access_token;
}

const staff = (username: string) => tokenFor({ username, clientId: 'staff-app' });

/** Whether Europe/Berlin (the retail department's zone) is inside Mon–Fri 09:00–17:00 at `date`. */
function retailBusinessHours(date: Date): boolean {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Berlin',
    weekday: 'long',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const minutes = Number(part('hour')) * 60 + Number(part('minute'));
  return !['Saturday', 'Sunday'].includes(part('weekday')) && minutes >= 9 * 60 && minutes < 17 * 60;
}

test.before(async () => {
  const ports = {
    gateway: await freePort(),
    authServer: await freePort(),
    service: await freePort(),
    admin: await freePort(),
    sidecar: await freePort(),
    bundles: await freePort(),
  };
  stack = await startStack({ dataDir: dir, logs: join(dir, 'logs'), ports, bundlePollS: 2 });
});

test.after.always(async () => {
  // Unset when the stack did not start.
  await (stack as Stack | undefined)?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test.serial(
  "the seed's example: an unknown opaque token → 401 with a problem body and a challenge (curl)",
  (t) => {
    const port = stack.ports.gateway;
    const curl = spawnSync(
      'curl',
      [
        '-s',
        '-i',
        '-k',
        `https://api.demo.example:${port}/transactions`,
        '--resolve',
        `api.demo.example:${port}:127.0.0.1`,
        '-H',
        'Authorization: Bearer 42fb44ec-4d96-4f5a-ac48-abbd7e004a2a',
      ],
      { encoding: 'utf8' },
    );
    t.is(curl.status, 0, curl.stderr);
    const [head = '', body = ''] = curl.stdout.split('\r\n\r\n');
    t.regex(head, /^HTTP\/2 401/);
    t.regex(head, /\r\ncontent-type: application\/problem\+json\r\n/);
    t.regex(
      head,
      new RegExp(
        `\\r\\nwww-authenticate: Bearer realm="verdict", error="invalid_token", .*resource_metadata="${stack.resourceUrl}/\\.well-known/oauth-protected-resource"`,
      ),
    );
    t.like(JSON.parse(body), {
      status: 401,
      code: 'invalid_token',
      type: 'urn:verdict:problem:invalid_token',
    });
  },
);

test.serial(
  'the protected-resource metadata answers without a token and names the authorization server',
  async (t) => {
    const answer = await call('/.well-known/oauth-protected-resource', undefined);
    t.is(answer.status, 200);
    t.like(json(answer), {
      resource: stack.resourceUrl,
      authorization_servers: [stack.issuer],
      bearer_methods_supported: ['header'],
    });
    t.true((json(answer).scopes_supported as string[]).includes('transactions:read'));
    const bare = await call('/transactions', undefined);
    t.is(bare.status, 401);
    t.is(
      bare.headers['www-authenticate'],
      `Bearer realm="verdict", resource_metadata="${stack.resourceUrl}/.well-known/oauth-protected-resource"`,
    );
  },
);

test.serial(
  'a customer logs in with code + PKCE and lists and reads only their own transactions and accounts',
  async (t) => {
    const alice = await tokenFor({ username: 'alice' });
    const bob = await tokenFor({ username: 'bob' });
    const list = await call('/transactions', alice);
    t.is(list.status, 200, list.body);
    const items = json<{ items: Transaction[] }>(list).items;
    t.is(items.length, 3);
    t.true(items.every((item) => item.owner === 'alice' && item.account_id === 'acct-alice-1'));
    t.not(items[0]!.counterparty.account, null, 'nothing redacted for the owner');

    const accounts = await call('/accounts', alice);
    t.is(accounts.status, 200);
    t.deepEqual(
      json<{ items: { id: string }[] }>(accounts).items.map((account) => account.id),
      ['acct-alice-1'],
    );
    const own = await call(`/transactions/${items[0]!.id}`, alice);
    t.is(own.status, 200);
    t.is(json<Transaction>(own).id, items[0]!.id);

    const bobs = json<{ items: Transaction[] }>(await call('/transactions', bob)).items;
    t.true(bobs.length > 0 && bobs.every((item) => item.owner === 'bob'));
    const other = await call(`/transactions/${bobs[0]!.id}`, alice);
    t.is(other.status, 404);
    t.is(json(other).code, 'not_found');
    const otherAccount = await call('/accounts/acct-bob-1', alice);
    t.is(otherAccount.status, 404);
    t.is(json(otherAccount).code, 'not_found');
  },
);

test.serial(
  "support sees its department's transactions with the counterparty's account and the note redacted",
  async (t) => {
    const sam = await staff('sam');
    const list = await call('/transactions', sam);
    t.is(list.status, 200, list.body);
    const items = json<{ items: Transaction[] }>(list).items;
    t.deepEqual([...new Set(items.map((item) => item.owner))].sort(), ['alice', 'bob']);
    t.true(items.every((item) => item.department === 'retail'));
    t.true(items.every((item) => item.counterparty.account === null && item.note === null));
    t.true(items.every((item) => typeof item.counterparty.name === 'string'));
    const read = await call(`/transactions/${items[0]!.id}`, sam);
    t.is(read.status, 200);
    t.like(json(read), { note: null, counterparty: { account: null } });
  },
);

test.serial(
  'a manager approves a pending transaction in business hours; outside them the refusal says why',
  async (t) => {
    const mia = await staff('mia');
    const pending = json<{ items: Transaction[] }>(
      await call('/transactions?status=pending&account_id=acct-alice-1', mia),
    ).items;
    const target = pending.find((item) => item.amount_minor <= 1_000_000);
    t.truthy(target, 'a pending retail transaction below the step-up threshold');
    const before = retailBusinessHours(new Date());
    const answer = await call(`/transactions/${target!.id}/approve`, mia, { method: 'POST' });
    const after = retailBusinessHours(new Date());
    if (before !== after) return t.pass('the business day began or ended during the request');
    if (before) {
      t.is(answer.status, 200, answer.body);
      t.like(json(answer), { id: target!.id, status: 'approved' });
    } else {
      t.is(answer.status, 403, answer.body);
      t.is(json(answer).code, 'forbidden');
      t.deepEqual(json(answer).reasons, ['outside_business_hours']);
    }
  },
);

test.serial(
  "an AI agent's reads are cut to the limits the user consented to, and its write asks for step-up",
  async (t) => {
    const agent = await tokenFor({
      username: 'alice',
      clientId: 'budget-bot',
      clientSecret: await readClientSecret(join(dir, 'auth-server'), 'budget-bot'),
      limits: { transaction_amount_limit: 50_000 },
    });
    const list = await call('/transactions', agent);
    t.is(list.status, 200, list.body);
    const items = json<{ items: Transaction[] }>(list).items;
    t.true(items.length >= 2);
    t.true(items.every((item) => item.owner === 'alice' && item.amount_minor <= 50_000));

    const alice = await tokenFor({ username: 'alice' });
    const all = json<{ items: Transaction[] }>(await call('/transactions', alice)).items;
    const large = all.find((item) => item.amount_minor > 50_000);
    t.truthy(large);
    const hidden = await call(`/transactions/${large!.id}`, agent);
    t.is(hidden.status, 404);
    t.is(json(hidden).code, 'not_found');

    const write = await call('/transactions', agent, {
      method: 'POST',
      body: JSON.stringify({
        account_id: 'acct-alice-1',
        amount_minor: 1250,
        currency: 'EUR',
        category: 'dining',
        counterparty: { name: 'Cafe', account: 'FR7630006' },
      }),
    });
    t.is(write.status, 401, write.body);
    t.is(json(write).code, 'insufficient_user_authentication');
    t.regex(
      String(write.headers['www-authenticate']),
      /error="insufficient_user_authentication".*acr_values="urn:verdict:acr:mfa/,
    );
  },
);

test.serial(
  'a backend service with client credentials reads everywhere, redacted, and may not write',
  async (t) => {
    const { access_token } = await clientCredentials({
      issuer: stack.issuer,
      clientId: 'reporting',
      clientSecret: await readClientSecret(join(dir, 'auth-server'), 'reporting'),
    });
    secrets.add(access_token);
    const list = await call('/transactions', access_token);
    t.is(list.status, 200, list.body);
    const items = json<{ items: Transaction[] }>(list).items;
    t.deepEqual([...new Set(items.map((item) => item.owner))].sort(), ['alice', 'bob', 'carol']);
    t.true(items.every((item) => item.counterparty.account === null && item.note === null));
    const write = await call('/transactions', access_token, {
      method: 'POST',
      body: JSON.stringify({
        account_id: 'acct-carol-1',
        amount_minor: 100,
        currency: 'GBP',
        category: 'dining',
        counterparty: { name: 'Pub', account: 'GB00' },
      }),
    });
    t.is(write.status, 403);
    t.is(json(write).code, 'insufficient_scope');
  },
);

test.serial(
  "the service sees the client's address, which only the gateway may tell it (TRUSTED_PROXIES)",
  async (t) => {
    const alice = await tokenFor({ username: 'alice' });
    const created = await call('/transactions', alice, {
      method: 'POST',
      localAddress: '127.0.0.7',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      body: JSON.stringify({
        account_id: 'acct-alice-1',
        amount_minor: 1250,
        currency: 'EUR',
        category: 'dining',
        counterparty: { name: 'Cafe', account: 'FR7630006' },
      }),
    });
    t.is(created.status, 201, created.body);
    const requestId = String(created.headers['x-request-id']);
    const ada = await staff('ada');
    const audit = await call('/audit?limit=50', ada);
    t.is(audit.status, 200, audit.body);
    const record = json<{ items: { request_id: string; client_ip: string | null }[] }>(audit).items.find(
      (item) => item.request_id === requestId,
    );
    t.truthy(record, 'the change is audited under the request id the gateway answered with');
    t.is(record!.client_ip, '127.0.0.7', 'the address the gateway saw, not the one the client claimed');
  },
);

test.serial('a revoked opaque token → 401 invalid_token', async (t) => {
  const token = await tokenFor({ username: 'bob' });
  const revocation = await fetch(String(stack.discovery.revocation_endpoint), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: 'web-app' }).toString(),
  });
  t.is(revocation.status, 200);
  const answer = await call('/transactions', token);
  t.is(answer.status, 401);
  t.is(json(answer).code, 'invalid_token');
});

test.serial(
  'a JWT sent straight to the gateway → 401, though the service itself would take it',
  async (t) => {
    const token = await tokenFor({ username: 'alice' });
    const secret = readFileSync(join(dir, 'auth-server', 'gateway-client-secret'), 'utf8').trim();
    const exchange = await fetch(String(stack.discovery.introspection_endpoint), {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`api-gateway:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/jwt',
      },
      body: new URLSearchParams({ token }).toString(),
    });
    t.is(exchange.headers.get('content-type')?.split(';')[0], 'application/jwt');
    const jwt = (await exchange.text()).trim();
    secrets.add(jwt);
    const direct = await fetch(`http://127.0.0.1:${stack.ports.service}/transactions`, {
      headers: { authorization: `Bearer ${jwt}` },
    });
    t.is(direct.status, 200, 'a valid JWT for the API');
    const answer = await call('/transactions', jwt);
    t.is(answer.status, 401);
    t.is(json(answer).code, 'invalid_token');
  },
);

test.serial('every Bearer challenge, the gateway’s and the service’s, names the resource metadata', (t) => {
  t.true(challenges.length >= 5);
  t.true(
    challenges.some((challenge) => challenge.includes('insufficient_user_authentication')),
    'the service’s',
  );
  t.true(
    challenges.some((challenge) => challenge.includes('not active')),
    'the gateway’s',
  );
  for (const challenge of challenges)
    t.true(
      challenge.endsWith(`resource_metadata="${stack.resourceUrl}/.well-known/oauth-protected-resource"`),
      challenge,
    );
});

test.serial(
  'the authorization server stopped → 503 from the gateway for every token it has not exchanged',
  async (t) => {
    const fresh = await tokenFor({ username: 'carol' });
    await stack.stopPart('authServer');
    for (const token of [fresh, '42fb44ec-4d96-4f5a-ac48-abbd7e004a2a']) {
      for (const path of ['/transactions', '/accounts']) {
        const answer = await call(path, token);
        t.is(answer.status, 503, path);
        t.like(json(answer), { code: 'authorization_server_unavailable', status: 503 });
        t.is(answer.headers['retry-after'], '5');
      }
    }
    const write = await call('/transactions', fresh, {
      method: 'POST',
      body: JSON.stringify({
        account_id: 'acct-carol-1',
        amount_minor: 100,
        currency: 'GBP',
        category: 'dining',
        counterparty: { name: 'Pub', account: 'GB00' },
      }),
    });
    t.is(write.status, 503, 'nothing is allowed');
  },
);

test.serial('the gateway’s access and error logs hold no token and no JWT', (t) => {
  const access = readFileSync(stack.accessLog, 'utf8');
  const errors = readFileSync(stack.errorLog, 'utf8');
  t.true(access.split('\n').length > 20);
  t.true(secrets.size > 10);
  for (const secret of secrets) {
    t.false(access.includes(secret), 'a token in the access log');
    t.false(errors.includes(secret), 'a token in the error log');
  }
  t.false(access.includes('Bearer'));
});
