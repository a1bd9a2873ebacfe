// A closed-loop HTTP load generator run as its own process, so it does not share the event loop
// of the server it measures:  tsx bench/support/load.ts <json options>  → prints one JSON result.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

/** What one load run does. */
export interface LoadOptions {
  readonly port: number;
  readonly path: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** A file holding the body, for one too large to pass on the command line (instead of `body`). */
  readonly bodyFile?: string;
  readonly concurrency: number;
  readonly durationMs: number;
}

/** What one load run measured. */
export interface LoadResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly statuses: Record<string, number>;
}

async function run(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const body = options.bodyFile === undefined ? options.body : readFileSync(options.bodyFile);
  const deadline = performance.now() + options.durationMs;
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = request(
        {
          host: '127.0.0.1',
          port: options.port,
          path: options.path,
          method: options.method ?? 'GET',
          headers: options.headers,
          agent,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = String(res.statusCode);
            statuses[status] = (statuses[status] ?? 0) + 1;
            if ((res.statusCode ?? 500) >= 400) errors++;
            latencies.push(performance.now() - started);
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) await once();
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const quantile = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    rps: latencies.length / (options.durationMs / 1000),
    p50: quantile(0.5),
    p99: quantile(0.99),
    errors,
    statuses,
  };
}

if (process.argv[1] === import.meta.filename) {
  const result = await run(JSON.parse(process.argv[2] ?? '{}') as LoadOptions);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
