import { BENCH_ENVIRONMENT, benchResource, MANAGER } from '../support/fixtures.js';
import type { Server, Sidecar } from '../support/launcher.js';
import {
  LOAD_HEADER,
  loadNote,
  loadRow,
  measureAt,
  noFailures,
  steady,
  type Measured,
} from '../support/measure.js';
import { check, type BenchContext, type Check, type Scenario } from '../support/scenario.js';

const CUSTOMER = { claims: { sub: 'alice', client_id: 'web-app', scope: 'transactions:read' } };

/** The same Data API requests for both servers. */
const REQUESTS = [
  {
    id: 'customer-read',
    name: 'customer reads own transaction',
    path: '/v1/data/verdict/authz/decision',
    input: {
      subject: CUSTOMER,
      action: 'transactions:read',
      resource: benchResource(0),
      environment: BENCH_ENVIRONMENT,
    },
  },
  {
    id: 'manager-approve',
    name: 'manager approves (business hours)',
    path: '/v1/data/verdict/authz/decision',
    input: {
      subject: MANAGER,
      action: 'transactions:approve',
      resource: benchResource(1),
      environment: BENCH_ENVIRONMENT,
    },
  },
  {
    id: 'batch-100',
    name: 'batch of 100 (manager lists)',
    path: '/v1/data/verdict/authz/batch',
    input: {
      subject: MANAGER,
      action: 'transactions:list',
      resources: Array.from({ length: 100 }, (_, i) => benchResource(i)),
      environment: BENCH_ENVIRONMENT,
    },
  },
] as const;

/**
 * 5. The sidecar against `opa run --server` on the same Data API requests: a customer's read, a
 * manager's approval, a batch of 100.
 */
export const sidecarVsOpa: Scenario = {
  name: 'sidecar-vs-opa',
  number: 5,
  title: 'Sidecar against opa run --server',
  async run(context: BenchContext) {
    const { launcher } = context;
    context.log('sidecar and opa: starting');
    let sidecar: Sidecar | undefined;
    let opa: Server | undefined;
    const rows: { request: string; sidecar: Measured; opa: Measured }[] = [];
    try {
      sidecar = await launcher.startSidecar();
      opa = await launcher.startOpa();
      const sidecarPort = 'port' in sidecar.address ? sidecar.address.port : 0;
      for (const request of REQUESTS) {
        const load = steady(context, {
          path: request.path,
          method: 'POST',
          body: JSON.stringify({ input: request.input }),
        });
        rows.push({
          request: request.id,
          sidecar: await measureAt(context, `sidecar: ${request.name}`, sidecarPort, load),
          opa: await measureAt(context, `opa run --server: ${request.name}`, opa.port, load),
        });
      }
    } finally {
      await sidecar?.proc.stop();
      await opa?.proc.stop();
    }
    const checks: Check[] = [];
    for (const row of rows) {
      const name = REQUESTS.find((r) => r.id === row.request)?.name ?? row.request;
      checks.push(
        check(
          `${row.request} rps`,
          `${name}: sidecar / opa req/s`,
          row.sidecar.result.rps / row.opa.result.rps,
          '>=',
          2,
          'x',
        ),
        check(
          `${row.request} p99`,
          `${name}: sidecar / opa p99`,
          row.sidecar.result.p99Ms / row.opa.result.p99Ms,
          '<=',
          0.5,
          'x',
        ),
      );
    }
    checks.push(noFailures(rows.flatMap((row) => [row.sidecar, row.opa])));
    return {
      title: this.title,
      notes: [
        loadNote(context),
        'POST /v1/data/<entrypoint> with the same body to both: the sidecar (WASM bundle, DECISION_LOG=off) and opa v1.22.2 (Rego bundle of the same sources and revision, decision logs off), both signature-verified. The load goes straight to each server.',
      ],
      tables: [
        {
          header: [...LOAD_HEADER, 'req/s vs opa', 'p99 vs opa'],
          rows: rows.flatMap((row) =>
            [row.sidecar, row.opa].map((m) => [
              ...loadRow(m),
              (m.result.rps / row.opa.result.rps).toFixed(2),
              (m.result.p99Ms / row.opa.result.p99Ms).toFixed(2),
            ]),
          ),
        },
      ],
      checks,
      data: rows,
    };
  },
};
