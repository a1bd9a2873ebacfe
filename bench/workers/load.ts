// The load generator, a process of its own: autocannon with fixed connections, a warm-up phase,
// then the measured phase, each response's latency recorded at full resolution (autocannon's own
// histogram keeps whole milliseconds).  node --import tsx bench/workers/load.ts <in.json> <out.json>
import autocannon, { type Request, type Result } from 'autocannon';
import { readFileSync, writeFileSync } from 'node:fs';
import type { LoadOptions, LoadResult } from '../support/load.js';

const [inFile, outFile] = process.argv.slice(2);
if (inFile === undefined || outFile === undefined) throw new Error('usage: load.ts <in.json> <out.json>');
const options = JSON.parse(readFileSync(inFile, 'utf8')) as LoadOptions;
const body = options.bodyFile === undefined ? options.body : readFileSync(options.bodyFile, 'utf8');
const tokens =
  options.tokensFile === undefined
    ? []
    : readFileSync(options.tokensFile, 'utf8').split('\n').filter(Boolean);
let tokensUsed = 0;

const requests: Request[] | undefined =
  tokens.length === 0
    ? undefined
    : [
        {
          setupRequest: (request) => {
            const token = tokens[tokensUsed % tokens.length] ?? '';
            tokensUsed += 1;
            return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
          },
        },
      ];

/** Latencies (ms) of the measured phase, in a growing buffer. */
let latencies = new Float64Array(1 << 16);
let count = 0;
const statuses: Record<string, number> = {};

function record(statusCode: number, ms: number): void {
  if (count === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[count++] = ms;
  const key = String(statusCode);
  statuses[key] = (statuses[key] ?? 0) + 1;
}

function phase(seconds: number | undefined, amount: number | undefined, measured: boolean): Promise<Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${options.port}${options.path}`,
        method: options.method ?? 'GET',
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(body === undefined ? {} : { body }),
        connections: options.connections,
        pipelining: 1,
        timeout: 10,
        ...(amount === undefined ? { duration: seconds ?? 1 } : { amount }),
        ...(requests === undefined ? {} : { requests }),
      },
      (error, result) => {
        clearTimeout(cap);
        if (error) reject(error);
        else resolve(result);
      },
    );
    if (measured) {
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        record(statusCode, responseTime);
      });
    }
    const cap =
      measured && amount !== undefined && options.capMs !== undefined
        ? setTimeout(() => {
            capped = true;
            instance.stop();
          }, options.capMs)
        : undefined;
  });
}

let capped = false;
if (options.warmupMs > 0) await phase(Math.max(1, Math.round(options.warmupMs / 1000)), undefined, false);
const started = performance.now();
const result = await phase(
  options.durationMs === undefined ? undefined : Math.max(1, Math.round(options.durationMs / 1000)),
  options.amount,
  true,
);
const durationS = (performance.now() - started) / 1000;

const sorted = latencies.subarray(0, count).sort();
const quantile = (q: number): number => sorted[Math.min(count - 1, Math.floor(q * count))] ?? Number.NaN;
const non2xx = Object.entries(statuses)
  .filter(([status]) => !status.startsWith('2'))
  .reduce((sum, [, n]) => sum + n, 0);
const output: LoadResult = {
  requests: count,
  durationS,
  rps: (count - non2xx) / durationS,
  p50Ms: quantile(0.5),
  p90Ms: quantile(0.9),
  p99Ms: quantile(0.99),
  p999Ms: quantile(0.999),
  maxMs: sorted[count - 1] ?? Number.NaN,
  statuses,
  non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  ...(tokens.length === 0 ? {} : { tokensUsed, tokensWrapped: tokensUsed > tokens.length }),
  ...(options.capMs === undefined ? {} : { capped }),
};
writeFileSync(outFile, JSON.stringify(output));
