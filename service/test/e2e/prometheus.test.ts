import test from 'ava';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { adminServer } from '../../src/metrics/admin-server.js';
import { Harness } from '../support/harness.js';
import { TestPrometheus } from '../support/prometheus.js';

const exec = promisify(execFile);

test('a real Prometheus scrapes the admin port and sees the requests the test made', async (t) => {
  const h = await Harness.start();
  t.teardown(() => h.stop());
  const admin = adminServer(h.metrics.registry);
  await new Promise<void>((resolve) => admin.listen(0, '127.0.0.1', resolve));
  t.teardown(() => admin.close());
  const target = `127.0.0.1:${(admin.address() as AddressInfo).port}`;

  const exposition = await (await fetch(`http://${target}/metrics`)).text();
  const check = exec('promtool', ['check', 'metrics']);
  check.child.stdin?.end(exposition);
  await t.notThrowsAsync(check, 'promtool check metrics accepts the exposition');

  const prometheus = await TestPrometheus.start({ 'verdict-service': [target] });
  t.teardown(() => prometheus.stop());

  const token = await h.token({ sub: 'alice', scope: 'transactions:read transactions:write' });
  for (let i = 0; i < 3; i++) {
    await h.request('POST', '/transactions', {
      token,
      body: {
        account_id: 'a-1',
        amount_minor: 10 + i,
        currency: 'EUR',
        category: 'other',
        counterparty: { name: 'X', account: 'Y1' },
      },
    });
  }
  await h.request('GET', '/transactions', {
    token: await h.token({ sub: 'bob', scope: 'transactions:write' }),
  });
  await h.request('GET', '/transactions');

  const created = await prometheus.waitFor(
    'verdict_http_request_duration_seconds_count{job="verdict-service",route="/transactions",method="POST",status="201"}',
    (result) => result[0]?.value[1] === '3',
  );
  t.is(created[0]?.value[1], '3');
  const denied = await prometheus.waitFor(
    'verdict_decisions_total{action="transactions:list",outcome="deny",reason="insufficient_scope"}',
    (result) => result[0]?.value[1] === '1',
  );
  t.is(denied[0]?.value[1], '1');
  const missing = await prometheus.waitFor(
    'verdict_authentication_failures_total{reason="missing_token"}',
    (result) => result[0]?.value[1] === '1',
  );
  t.is(missing[0]?.value[1], '1');
  const up = await prometheus.query('up{job="verdict-service"}');
  t.is(up[0]?.value[1], '1');
});
