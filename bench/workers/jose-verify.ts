// jose's raw verify rate, a process of its own: jwtVerify with the key already imported (no JWKS,
// no HTTP) over distinct tokens, one after another on one thread — the ceiling of any server that
// verifies a fresh token per request.  node --import tsx bench/workers/jose-verify.ts <in> <out>
import { importJWK, jwtVerify, type JWK } from 'jose';
import { readFileSync, writeFileSync } from 'node:fs';

/** What the verify worker is asked. */
export interface VerifyBenchInput {
  readonly tokensFile: string;
  readonly jwk: JWK;
  readonly issuer: string;
  readonly audience: string;
  readonly durationMs: number;
}

/** What it measured. */
export interface VerifyBenchResult {
  readonly verified: number;
  readonly seconds: number;
  readonly rate: number;
}

const [inFile, outFile] = process.argv.slice(2);
if (inFile === undefined || outFile === undefined) throw new Error('usage: jose-verify.ts <in> <out>');
const input = JSON.parse(readFileSync(inFile, 'utf8')) as VerifyBenchInput;
const tokens = readFileSync(input.tokensFile, 'utf8').split('\n').filter(Boolean);
const key = await importJWK(input.jwk, input.jwk.alg);
const options = { issuer: input.issuer, audience: input.audience, typ: 'at+jwt', algorithms: ['ES256'] };

// Warm-up: a tenth of the time, not counted.
let index = 0;
const next = (): string => tokens[index++ % tokens.length] ?? '';
const warmUntil = performance.now() + input.durationMs / 10;
while (performance.now() < warmUntil) await jwtVerify(next(), key, options);
let verified = 0;
const started = performance.now();
const until = started + input.durationMs;
while (performance.now() < until) {
  await jwtVerify(next(), key, options);
  verified += 1;
}
const seconds = (performance.now() - started) / 1000;
const result: VerifyBenchResult = { verified, seconds, rate: verified / seconds };
writeFileSync(outFile, JSON.stringify(result));
