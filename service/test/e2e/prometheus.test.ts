import test from 'ava';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SidecarAuthorizer } from '../../src/authz/sidecar-authorizer.js';
import { adminServer } from '../../src/metrics/admin-server.js';
import { Harness, NEW_TRANSACTION } from '../support/harness.js';
import { freePort, TestPrometheus } from '../support/prometheus.js';
import { startSidecar } from '../support/sidecar-process.js';

const exec = promisify(execFile);

const COMPOSE = join(import.meta.dirname, '..', '..', '..', 'compose');

/** Every PromQL expression of the Grafana dashboard and of the alert rules. */
function dashboardAndAlertExpressions(): string[] {
  const dashboard = JSON.parse(
    readFileSync(join(COMPOSE, 'grafana', 'dashboards', 'verdict-overview.json'), 'utf8'),
  ) as {
    panels: { targets: { expr: string }[] }[];
  };
  const alerts = parse(readFileSync(join(COMPOSE, 'prometheus', 'alerts.yml'), 'utf8')) as {
    groups: { rules: { expr: string }[] }[];
  };
  return [
    ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
    ...alerts.groups.flatMap((group) => group.rules.map((rule) => rule.expr)),
  ];
}

test('a real Prometheus scrapes service and sidecar and sees the requests the test made', async (t) => {
  const sidecarPort = await freePort();
  const sidecar = await startSidecar(sidecarPort);
  t.teardown(() => sidecar.kill('SIGKILL'));
  const pdp: { observe?: (path: string, outcome: string, seconds: number) => void } = {};
  const authorizer = new SidecarAuthorizer({
    url: `http://127.0.0.1:${sidecarPort}`,
    timeoutMs: 1000,
    now: Date.now,
    onCall: (path, outcome, seconds) => pdp.observe?.(path, outcome, seconds),
  });
  t.teardown(() => authorizer.close());
  const h = await Harness.start({ authorizer, processMetrics: true });
  t.teardown(() => h.stop());
  pdp.observe = (path, outcome, seconds) => {
    h.metrics.observePdp(path, outcome, seconds);
  };
  const admin = adminServer(h.metrics.registry);
  await new Promise<void>((resolve) => admin.listen(0, '127.0.0.1', resolve));
  t.teardown(() => admin.close());
  const target = `127.0.0.1:${(admin.address() as AddressInfo).port}`;

  const sidecarTarget = `127.0.0.1:${sidecarPort}`;
  const declared = new Set<string>();
  for (const scraped of [target, sidecarTarget]) {
    const exposition = await (await fetch(`http://${scraped}/metrics`)).text();
    for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      declared.add(name!);
      if (type === 'histogram')
        for (const suffix of ['_bucket', '_count', '_sum']) declared.add(`${name!}${suffix}`);
    }
    const check = exec('promtool', ['check', 'metrics']);
    check.child.stdin?.end(exposition);
    await t.notThrowsAsync(check, `promtool check metrics accepts ${scraped}`);
  }

  const prometheus = await TestPrometheus.start({
    'verdict-service': [target],
    'verdict-sidecar': [sidecarTarget],
  });
  t.teardown(() => prometheus.stop());

  const token = await h.token({ sub: 'alice', scope: 'transactions:read transactions:write' });
  for (let i = 0; i < 3; i++) {
    await h.request('POST', '/transactions', {
      token,
      body: NEW_TRANSACTION,
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
  const decisions = await prometheus.waitFor(
    'sum(verdict_sidecar_decisions_total{job="verdict-sidecar",path="verdict/authz/decision"})',
    (result) => Number(result[0]?.value[1]) >= 4,
  );
  t.true(Number(decisions[0]?.value[1]) >= 4, 'the sidecar counted the decisions the service asked for');
  const revision = await prometheus.query('verdict_sidecar_bundle_info{job="verdict-sidecar"}');
  t.regex(revision[0]?.metric.revision ?? '', /^[0-9a-f]{16}$/);
  for (const job of ['verdict-service', 'verdict-sidecar']) {
    const up = await prometheus.query(`up{job="${job}"}`);
    t.is(up[0]?.value[1], '1', job);
  }
  // Every dashboard panel and alert parses, and names only metrics that service or sidecar declares.
  for (const expr of dashboardAndAlertExpressions()) {
    await t.notThrowsAsync(prometheus.query(expr), expr);
    for (const [name] of expr.matchAll(/verdict_[a-z_]+/g))
      t.true(declared.has(name), `${name} (in ${expr}) is declared by service or sidecar`);
  }
});
