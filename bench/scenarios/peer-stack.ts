import { ALICE } from '../support/issuer.js';
import {
  LOAD_HEADER,
  loadNote,
  loadRow,
  measure,
  noFailures,
  started,
  steady,
  type Started,
} from '../support/measure.js';
import { check, type BenchContext, type Scenario } from '../support/scenario.js';

/**
 * 3. Against the peer stack: Koa with jose verifying every request (no cache, like
 * express-oauth2-jwt-bearer), the same prepared read, and `opa run --server` over HTTP on the Rego
 * bundle; Verdict's sidecar mode on the same request.
 */
export const peerStack: Scenario = {
  name: 'peer-stack',
  number: 3,
  title: 'Against the peer stack',
  async run(context: BenchContext) {
    const { launcher } = context;
    const load = steady(context, {
      path: `/transactions/${context.data.transactionId}`,
      headers: { authorization: `Bearer ${await context.issuer.sign(ALICE)}` },
    });
    const peer = await measure(
      context,
      'peer: Koa + jose per request + opa run --server',
      async (): Promise<Started> => {
        const opa = await launcher.startOpa();
        const server = await launcher.startBenchServer('peer-stack', {
          OPA_URL: `http://127.0.0.1:${opa.port}`,
        });
        return {
          port: server.port,
          procs: [server.proc, opa.proc],
          stop: async () => {
            await server.proc.stop();
            await opa.proc.stop();
          },
        };
      },
      load,
    );
    const verdict = await measure(
      context,
      'Verdict sidecar mode over TCP',
      async () => started(await launcher.startStack('sidecar-tcp')),
      load,
    );
    const ratio = verdict.result.rps / peer.result.rps;
    return {
      title: this.title,
      notes: [
        loadNote(context),
        'GET /transactions/{id}, same row, same token. The peer verifies the ES256 signature on every request (jose createRemoteJWKSet, keys cached), reads the row with one prepared statement and asks OPA (v1.22.2, Rego bundle of the same policies, signature-verified) through fetch.',
      ],
      tables: [
        {
          header: [...LOAD_HEADER, 'vs peer'],
          rows: [peer, verdict].map((m) => [...loadRow(m), (m.result.rps / peer.result.rps).toFixed(2)]),
        },
      ],
      checks: [
        check('sidecar-vs-peer', 'Verdict sidecar mode / peer stack req/s', ratio, '>=', 3, 'x'),
        noFailures([peer, verdict]),
      ],
      data: { peer: peer.result, verdict: verdict.result },
    };
  },
};
