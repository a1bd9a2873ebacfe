import test from 'ava';
import { SidecarAuthorizer } from '../../src/authz/sidecar-authorizer.js';
import { CUSTOMER_SCOPES, Harness, NEW_TRANSACTION, sample } from '../support/harness.js';
import { freePort } from '../support/prometheus.js';
import { startSidecar } from '../support/sidecar-process.js';
import { trailOf } from '../support/trail.js';

test('sidecar mode: decisions by the real sidecar; killed → 503; recovers by itself when it returns', async (t) => {
  const port = await freePort();
  let sidecar = await startSidecar(port);
  t.teardown(() => sidecar.kill('SIGKILL'));
  const authorizer = new SidecarAuthorizer({
    url: `http://127.0.0.1:${port}`,
    timeoutMs: 500,
    now: Date.now,
    breaker: { minimumCalls: 2, failureRatio: 0.5, openMs: 300 },
  });
  t.teardown(() => authorizer.close());
  const h = await Harness.start({ authorizer });
  t.teardown(() => h.stop());
  const token = await h.token({ sub: 'alice', scope: CUSTOMER_SCOPES });

  const created = await h.request('POST', '/transactions', { token, body: NEW_TRANSACTION });
  t.is(created.status, 201, created.text);
  const audit = (await trailOf(h.store)).at(-1);
  t.regex(audit?.decision_id ?? '', /^[0-9a-f-]{36}$/, 'the sidecar’s decision id reaches the audit record');
  t.regex(audit?.bundle_revision ?? '', /^[0-9a-f]{16}$/, 'and so does the bundle revision');
  const hidden = await h.request('GET', `/transactions/${created.body.id}`, {
    token: await h.token({ sub: 'bob', scope: CUSTOMER_SCOPES }),
  });
  t.is(hidden.status, 404, 'the sidecar’s deny is enforced');

  sidecar.kill('SIGKILL');
  await new Promise((resolve) => sidecar.once('exit', resolve));
  for (let i = 0; i < 3; i++) {
    const down = await h.request('GET', '/transactions', { token });
    t.is(down.status, 503);
    t.is(down.body.code, 'authorization_unavailable');
  }
  t.true(
    h.logLines.some((line) => line.includes('dependency failure')),
    'the cause reaches the log',
  );

  sidecar = await startSidecar(port);
  const deadline = Date.now() + 10_000;
  let status = 0;
  while (Date.now() < deadline && status !== 200) {
    status = (await h.request('GET', '/transactions', { token })).status;
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.is(status, 200, 'the service recovers without a restart');
  const text = await h.metrics.registry.metrics();
  t.true(
    (sample(text, 'verdict_decisions_total', { action: 'transactions:list', outcome: 'error' }) ?? 0) >= 3,
  );
});
