import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALICE, AUDIENCE } from '../support/issuer.js';
import { LOAD_HEADER, loadNote, loadRow, measure, noFailures, started, steady } from '../support/measure.js';
import { check, type BenchContext, type Scenario } from '../support/scenario.js';
import type { VerifyBenchInput, VerifyBenchResult } from '../workers/jose-verify.js';

/** Distinct tokens jose's raw loop verifies (it caches nothing, so it may go round them). */
const RAW_TOKENS = 20_000;

/**
 * 7. Cold tokens: a token never seen before on every request, against jose's raw verify rate on
 * one thread in the same run.
 */
export const coldTokens: Scenario = {
  name: 'cold-tokens',
  number: 7,
  title: 'Cold tokens',
  async run(context: BenchContext) {
    const { launcher, issuer, dir, durations } = context;
    context.log(`cold tokens: signing ${durations.coldTokens + RAW_TOKENS} tokens`);
    const serviceTokens = join(dir, 'cold-tokens.txt');
    const rawTokens = join(dir, 'raw-tokens.txt');
    writeFileSync(serviceTokens, (await issuer.signMany(ALICE, durations.coldTokens)).join('\n'));
    writeFileSync(rawTokens, (await issuer.signMany(ALICE, RAW_TOKENS)).join('\n'));
    context.log('cold tokens: jose raw verify');
    const raw = await launcher.runWorker<VerifyBenchResult>('jose-verify', {
      tokensFile: rawTokens,
      jwk: issuer.publicJwk,
      issuer: issuer.issuer,
      audience: AUDIENCE,
      durationMs: durations.measureMs,
    } satisfies VerifyBenchInput);
    const [first] = (await issuer.signMany(ALICE, 1)) as [string];
    const cold = await measure(
      context,
      'Verdict embedded, a fresh token per request',
      async () => started(await launcher.startStack('embedded')),
      steady(context, {
        path: `/transactions/${context.data.transactionId}`,
        headers: { authorization: `Bearer ${first}` },
        tokensFile: serviceTokens,
      }),
    );
    const ratio = cold.result.rps / raw.rate;
    const wrapped = cold.result.tokensWrapped === true;
    return {
      title: this.title,
      notes: [
        loadNote(context),
        `GET /transactions/{id} with a different ES256 token on every request, embedded mode: ${durations.coldTokens} tokens signed before the run, ${String(cold.result.tokensUsed)} sent with the warm-up${wrapped ? `, so the list went round and a token came back after ${durations.coldTokens - 1} others (more than the service's token cache holds, so still a miss)` : ''}.`,
        `jose's raw rate: jwtVerify with the key already imported, same claims checks, distinct tokens, one after another on one thread of its own process: ${raw.rate.toFixed(0)} verifications/s (${raw.verified} in ${raw.seconds.toFixed(1)} s).`,
      ],
      tables: [
        {
          header: [...LOAD_HEADER, 'vs jose raw verify'],
          rows: [
            [
              'jose raw verify (no HTTP)',
              raw.rate.toFixed(0),
              '–',
              '–',
              '–',
              String(raw.verified),
              '0',
              '1.00',
            ],
            [...loadRow(cold), ratio.toFixed(2)],
          ],
        },
      ],
      checks: [
        check('cold-vs-raw', 'fresh-token req/s / jose raw verify rate', ratio, '>=', 0.8, 'x'),
        noFailures([cold]),
      ],
      data: { raw, cold: cold.result },
    };
  },
};
