/**
 * Two replicas end to end: the local stack with `replicas: 2` — the real authorization server, the
 * bundle server, PostgreSQL and Redis (Debian's, throwaway), two sidecar + service pairs and nginx
 * over TLS balancing over both services. Requests go through the gateway with opaque tokens and
 * straight to each replica with the JWT the gateway would forward, so each test knows which replica
 * answered. Serial: the rate-limit and bundle tests count requests. `npm run build` first.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { login, type LoginOptions } from '../../auth-server/src/login.js';
import { buildPolicyVariant, type PolicyVariant } from '../../scripts/policy-variant.mjs';
import { ROOT, startStack, type GatewayAnswer, type Stack } from '../stack/local-stack.mjs';
import { freePort } from './support/fakes.js';

const run = promisify(execFile);

/** The sidecars' BUNDLE_POLL_S: short, so a new revision is picked up within the test. */
const POLL_S = 1;
/** The services' RATE_LIMIT_PER_MIN: low enough to reach, high enough for the other tests. */
const LIMIT = 60;

const dir = mkdtempSync(join(tmpdir(), 'verdict-replicas-'));
const bundleDir = join(dir, 'bundles');
let stack: Stack;
let variant: PolicyVariant;
/** The gateway client's secret, to exchange opaque tokens for their JWTs as the gateway does. */
let gatewaySecret: string;

type Replica = Stack['replicas'][number];

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape
function json<T = any>(answer: Answer | GatewayAnswer): T {
  return JSON.parse(answer.body) as T;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A request straight to one replica's service with a JWT, from `localAddress` (a loopback address
 * other than the trusted proxy's 127.0.0.1, so the service limits it per that address).
 */
function direct(
  replica: Replica,
  path: string,
  jwt: string,
  init: { method?: string; body?: unknown; localAddress: string },
): Promise<Answer> {
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: replica.service,
        path,
        method: init.method ?? 'GET',
        localAddress: init.localAddress,
        agent: false,
        timeout: 15_000,
        headers: {
          authorization: `Bearer ${jwt}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('replica request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** An opaque access token from a real authorization-code + PKCE login. */
async function opaque(options: Omit<LoginOptions, 'issuer'>): Promise<string> {
  return (await login({ issuer: stack.issuer, ...options })).access_token;
}

/** The JWT the gateway forwards for an opaque token (introspection with Accept: application/jwt). */
async function jwtOf(token: string): Promise<string> {
  const exchange = await fetch(String(stack.discovery.introspection_endpoint), {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`api-gateway:${gatewaySecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/jwt',
    },
    body: new URLSearchParams({ token }).toString(),
  });
  if (exchange.status !== 200) throw new Error(`introspection answered ${exchange.status}`);
  return (await exchange.text()).trim();
}

/** The revision a sidecar has active, from `/health?bundles`. */
async function activeRevision(replica: Replica): Promise<string | null> {
  const answer = await fetch(`${replica.sidecarUrl}/health?bundles`);
  const body = (await answer.json()) as { bundles: Record<string, { revision: string | null }> };
  return Object.values(body.bundles)[0]?.revision ?? null;
}

/** How many requests a service has answered, from its admin port's /metrics. */
async function answered(replica: Replica): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${replica.admin}/metrics`)).text();
  return [...text.matchAll(/^verdict_http_request_duration_seconds_count\{[^}]*\} (\d+)$/gm)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}

function replicas(): [Replica, Replica] {
  const [a, b] = stack.replicas;
  if (a === undefined || b === undefined) throw new Error('the stack runs fewer than two replicas');
  return [a, b];
}

test.before(async () => {
  mkdirSync(bundleDir);
  copyFileSync(join(ROOT, 'policies', 'build', 'bundle.tar.gz'), join(bundleDir, 'bundle.tar.gz'));
  // The next revision to publish: the same policies, a comment more in their data (a new content
  // hash), signed with the key the sidecars trust (the development key of data/bundle-signing/).
  variant = buildPolicyVariant({
    into: join(dir, 'variant'),
    env: { BUNDLE_SIGNING_KEY: join(ROOT, 'data', 'bundle-signing', 'private.pem') },
    edit: (root) => {
      const roles = join(root, 'policies', 'data', 'roles.yaml');
      writeFileSync(roles, `${readFileSync(roles, 'utf8')}# revised by the replica test\n`);
    },
  });
  const replicaPorts = [];
  for (let i = 0; i < 2; i++)
    replicaPorts.push({ service: await freePort(), admin: await freePort(), sidecar: await freePort() });
  const ports = {
    gateway: await freePort(),
    authServer: await freePort(),
    bundles: await freePort(),
    ...replicaPorts[0],
  };
  stack = await startStack({
    dataDir: join(dir, 'data'),
    logs: join(dir, 'logs'),
    ports,
    replicas: 2,
    replicaPorts,
    bundleDir,
    bundlePollS: POLL_S,
    rateLimitPerMin: LIMIT,
  });
  gatewaySecret = readFileSync(join(dir, 'data', 'auth-server', 'gateway-client-secret'), 'utf8').trim();
});

test.after.always(async () => {
  // Unset when the stack did not start.
  await (stack as Stack | undefined)?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test.serial(
  'two replicas on one PostgreSQL and one Redis, each with its own sidecar; the gateway balances over both',
  async (t) => {
    const [a, b] = replicas();
    t.regex(stack.databaseUrl, /^postgres:\/\/.+@127\.0\.0\.1:\d+\/verdict$/);
    t.regex(stack.redisUrl ?? '', /^redis:\/\/127\.0\.0\.1:\d+$/);
    t.deepEqual(
      stack.replicas.map((replica) => replica.names),
      [
        { sidecar: 'sidecar-1', service: 'service-1' },
        { sidecar: 'sidecar-2', service: 'service-2' },
      ],
    );
    for (const [index, replica] of stack.environments.replicas.entries()) {
      t.is(replica.service.DATABASE_URL, stack.databaseUrl);
      t.is(replica.service.REDIS_URL, stack.redisUrl);
      t.is(replica.service.PDP_URL, stack.replicas[index]!.sidecarUrl, 'its own sidecar');
      t.is(replica.service.AUDIT_CHECKPOINT_FILE, stack.checkpointFile, 'one checkpoint file');
      t.is(replica.sidecar.BUNDLE_URL, `http://127.0.0.1:${stack.ports.bundles}/bundle.tar.gz`);
    }
    const base = readFileSync(join(ROOT, 'policies', 'build', 'revision.txt'), 'utf8').trim();
    t.is(await activeRevision(a), base);
    t.is(await activeRevision(b), base);

    const root = await opaque({ username: 'root', clientId: 'staff-app' });
    const before = await Promise.all([answered(a), answered(b)]);
    for (let i = 0; i < 20; i++) {
      const answer = await stack.request('/transactions?limit=5', {
        headers: { authorization: `Bearer ${root}` },
        localAddress: '127.0.0.2',
      });
      t.is(answer.status, 200, answer.body);
    }
    const after = await Promise.all([answered(a), answered(b)]);
    const grown = after.map((count, i) => count - before[i]!);
    t.true(
      grown.every((count) => count >= 5),
      `each replica answered some of the 20: ${grown.join(' + ')}`,
    );
    t.is(
      grown.reduce((sum, count) => sum + count, 0),
      20,
    );
  },
);

test.serial(
  'a transaction created through one replica is read through the other and the gateway',
  async (t) => {
    const [a, b] = replicas();
    const alice = await opaque({ username: 'alice' });
    const jwt = await jwtOf(alice);
    const created = await direct(a, '/transactions', jwt, {
      method: 'POST',
      localAddress: '127.0.0.3',
      body: {
        account_id: 'acct-alice-1',
        amount_minor: 4200,
        currency: 'EUR',
        category: 'dining',
        counterparty: { name: 'Replica cafe', account: 'FR7630006' },
      },
    });
    t.is(created.status, 201, created.body);
    const id = json<{ id: string }>(created).id;
    const read = await direct(b, `/transactions/${id}`, jwt, { localAddress: '127.0.0.3' });
    t.is(read.status, 200, read.body);
    t.like(json(read), { id, owner: 'alice', amount_minor: 4200, counterparty: { name: 'Replica cafe' } });
    t.is(read.headers.etag, created.headers.etag, 'the same version on both');
    const through = await stack.request(`/transactions/${id}`, {
      headers: { authorization: `Bearer ${alice}` },
      localAddress: '127.0.0.3',
    });
    t.is(through.status, 200, through.body);
    t.is(json(through).id, id);
    const unknown = await direct(b, '/transactions/00000000-0000-4000-8000-000000000000', jwt, {
      localAddress: '127.0.0.3',
    });
    t.is(unknown.status, 404);
    t.is(json(unknown).code, 'not_found');
  },
);

test.serial(
  'the rate limit is shared: requests spread over both replicas meet one counter in Redis',
  async (t) => {
    const [a, b] = replicas();
    const jwt = await jwtOf(await opaque({ username: 'carol' }));
    const remaining: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const answer = await direct(i % 2 === 0 ? a : b, '/accounts', jwt, { localAddress: '127.0.0.4' });
      t.is(answer.status, 200, answer.body);
      t.is(answer.headers['ratelimit-limit'], String(LIMIT));
      remaining.push(Number(answer.headers['ratelimit-remaining']));
    }
    // Alone, each replica would have counted half: 59, 59, 58, 58, …
    t.deepEqual(
      remaining,
      Array.from({ length: LIMIT }, (_, i) => LIMIT - 1 - i),
    );
    for (const replica of [a, b]) {
      const limited = await direct(replica, '/accounts', jwt, { localAddress: '127.0.0.4' });
      t.is(limited.status, 429, limited.body);
      t.is(json(limited).code, 'rate_limited');
      t.truthy(limited.headers['retry-after']);
    }
  },
);

test.serial('100 concurrent writes through both replicas leave one valid audit chain', async (t) => {
  const [a, b] = replicas();
  const writers = [
    { jwt: await jwtOf(await opaque({ username: 'alice' })), account: 'acct-alice-1' },
    { jwt: await jwtOf(await opaque({ username: 'bob' })), account: 'acct-bob-1' },
  ];
  const writes = [];
  for (const [w, writer] of writers.entries()) {
    for (const [r, replica] of [a, b].entries()) {
      for (let i = 0; i < 25; i++) {
        writes.push(
          direct(replica, '/transactions', writer.jwt, {
            method: 'POST',
            // 25 from each address: under the per-address limit as the writers are under theirs.
            localAddress: `127.0.0.${10 + 2 * w + r}`,
            body: {
              account_id: writer.account,
              amount_minor: 100 + i,
              currency: 'EUR',
              category: 'groceries',
              counterparty: { name: `Replica ${r + 1} shop`, account: 'DE00' },
            },
          }),
        );
      }
    }
  }
  const answers = await Promise.all(writes);
  t.deepEqual(
    answers.filter((answer) => answer.status !== 201).map((answer) => `${answer.status} ${answer.body}`),
    [],
  );
  t.is(new Set(answers.map((answer) => json<{ id: string }>(answer).id)).size, 100);

  // The checkpointers write within a second of a commit; wait until one names the chain's head.
  const auditor = await jwtOf(await opaque({ username: 'ada', clientId: 'staff-app' }));
  const head = await direct(b, '/audit?limit=1', auditor, { localAddress: '127.0.0.20' });
  t.is(head.status, 200, head.body);
  const headSeq = json<{ items: { seq: number }[] }>(head).items[0]?.seq ?? 0;
  t.true(headSeq >= 100);
  const deadline = Date.now() + 10_000;
  const anchored = () =>
    readFileSync(stack.checkpointFile, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .some((line) => (JSON.parse(line) as { seq: number }).seq >= headSeq);
  while (!anchored() && Date.now() < deadline) await sleep(200);
  t.true(anchored(), 'a checkpoint reaches the head');

  const env = stack.environments.service;
  const verified = await run(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'service', 'src', 'audit', 'verify-cli.ts')],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: stack.databaseUrl,
        AUDIT_HMAC_KEY_FILE: env.AUDIT_HMAC_KEY_FILE,
        AUDIT_CHECKPOINT_FILE: stack.checkpointFile,
      },
    },
  );
  t.regex(
    verified.stdout,
    new RegExp(`^audit chain intact: ${headSeq} records, last seq ${headSeq}; \\d+ checkpoints match`),
  );
  t.notRegex(verified.stdout, /not checkpointed/);
});

test.serial(
  'a new bundle revision is active on both sidecars within one poll interval, no request failing meanwhile',
  async (t) => {
    const replicaList = replicas();
    t.not(variant.revision, await activeRevision(replicaList[0]));
    const tokens = await Promise.all(
      ['root', 'mia', 'sam'].map((username) => opaque({ username, clientId: 'staff-app' })),
    );
    const failures: string[] = [];
    let sent = 0;
    const loop = { running: true };
    const requests = (async () => {
      while (loop.running) {
        const lane = sent % tokens.length;
        sent++;
        try {
          const answer = await stack.request('/transactions?limit=5', {
            headers: { authorization: `Bearer ${tokens[lane]!}` },
            localAddress: `127.0.0.${30 + lane}`,
          });
          if (answer.status !== 200) failures.push(`${answer.status} ${answer.body}`);
        } catch (error) {
          failures.push(String(error));
        }
        await sleep(40);
      }
    })();
    await sleep(500);

    // Published as a web server's file is: written beside, then renamed over the old one.
    const next = join(bundleDir, 'bundle.tar.gz.next');
    writeFileSync(next, variant.wasm);
    renameSync(next, join(bundleDir, 'bundle.tar.gz'));
    const published = Date.now();
    const switched = await Promise.all(
      replicaList.map(async (replica) => {
        while (Date.now() - published < 10_000) {
          if ((await activeRevision(replica)) === variant.revision) return Date.now() - published;
          await sleep(50);
        }
        return Infinity;
      }),
    );
    await sleep(500);
    loop.running = false;
    await requests;

    // One interval, jittered ±20 % by the sidecar, plus a second to fetch, verify and compile it.
    const allowed = POLL_S * 1200 + 1000;
    t.log(`switched after ${switched.join(' and ')} ms; ${sent} requests meanwhile`);
    for (const [i, ms] of switched.entries())
      t.true(ms <= allowed, `sidecar-${i + 1} switched after ${ms} ms (allowed ${allowed} ms)`);
    t.deepEqual(failures, []);
    t.true(sent >= 20, `${sent} requests through the gateway during the switch`);
    const jwt = await jwtOf(tokens[0]!);
    for (const replica of replicaList) {
      const answer = await direct(replica, '/transactions?limit=1', jwt, { localAddress: '127.0.0.40' });
      t.is(answer.status, 200, answer.body);
    }
  },
);
