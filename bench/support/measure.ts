import { request } from 'node:http';
import type { Proc, Server, Stack } from './launcher.js';
import { failures, runLoad, type LoadOptions, type LoadResult } from './load.js';
import { check, type BenchContext, type Check } from './scenario.js';

/** Keep-alive connections of every throughput measurement (the load generator's, fixed). */
export const CONNECTIONS = 16;

/** A server to measure: where it listens and how it stops. */
export interface Started {
  readonly port: number;
  readonly procs: readonly Proc[];
  stop(): Promise<void>;
}

/** A started server or stack as something to measure. */
export function started(server: Server | Stack): Started {
  if ('kind' in server) return { port: server.service.port, procs: server.procs, stop: () => server.stop() };
  return { port: server.port, procs: [server.proc], stop: () => server.proc.stop() };
}

/** One measured row: what was measured and what the load generator saw. */
export interface Measured {
  readonly label: string;
  readonly result: LoadResult;
}

/** Sends one request and resolves with its status and body. */
export function once(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: {
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Throws unless the request is answered 200: a misconfigured server must not be measured. */
export async function expectOk(
  label: string,
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<void> {
  const { status, body } = await once(port, path, options);
  if (status !== 200) throw new Error(`${label}: ${path} answered ${status}: ${body.slice(0, 300)}`);
}

/** The load options of a throughput row: fixed connections, the run's warm-up and duration. */
export function steady(
  context: BenchContext,
  load: Omit<LoadOptions, 'port' | 'connections' | 'warmupMs'> & Partial<LoadOptions>,
): Omit<LoadOptions, 'port'> {
  return {
    connections: CONNECTIONS,
    warmupMs: context.durations.warmupMs,
    durationMs: context.durations.measureMs,
    ...load,
  };
}

/** Checks one request is answered 200, then puts the server at `port` under load. */
export async function measureAt(
  context: BenchContext,
  label: string,
  port: number,
  load: Omit<LoadOptions, 'port'>,
): Promise<Measured> {
  await expectOk(label, port, load.path, {
    ...(load.method === undefined ? {} : { method: load.method }),
    ...(load.headers === undefined ? {} : { headers: { ...load.headers } }),
    ...(load.body === undefined ? {} : { body: load.body }),
  });
  context.log(`${label}: under load`);
  const result = await runLoad(context.launcher, { ...load, port });
  context.log(
    `${label}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99Ms.toFixed(2)} ms, ${failures(result)} failed`,
  );
  return { label, result };
}

/**
 * Starts a server, checks one request is answered 200, puts it under load from the load
 * generator's process, and stops it.
 */
export async function measure(
  context: BenchContext,
  label: string,
  start: () => Promise<Started>,
  load: Omit<LoadOptions, 'port'>,
): Promise<Measured> {
  context.log(`${label}: starting`);
  const server = await start();
  try {
    return await measureAt(context, label, server.port, load);
  } finally {
    await server.stop();
  }
}

/** The columns of {@link loadRow}. */
export const LOAD_HEADER = ['server', '2xx/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'requests', 'failed'];

/** A measured row in the columns of {@link LOAD_HEADER}. */
export function loadRow({ label, result }: Measured): string[] {
  return [
    label,
    result.rps.toFixed(0),
    result.p50Ms.toFixed(2),
    result.p99Ms.toFixed(2),
    result.p999Ms.toFixed(2),
    String(result.requests),
    failedCell(result),
  ];
}

/** `0`, or the failures with their statuses, so a failed row cannot pass for a fast one. */
export function failedCell(result: LoadResult): string {
  const failed = failures(result);
  if (failed === 0) return '0';
  const statuses = Object.entries(result.statuses)
    .filter(([status]) => !status.startsWith('2'))
    .map(([status, n]) => `${n}×${status}`);
  if (result.errors > 0) statuses.push(`${result.errors} errors`);
  return `**${failed}** (${statuses.join(', ')})`;
}

/** Notes every scenario's table needs about the rows' conditions. */
export function loadNote(context: BenchContext, connections = CONNECTIONS): string {
  return `${connections} keep-alive connections; ${context.durations.warmupMs / 1000} s warm-up, then ${context.durations.measureMs / 1000} s measured per row; throughput counts 2xx answers only, latencies (at the client) every answer; "failed" counts non-2xx answers and errors.`;
}

/** A check that no row of a scenario had a failed request (a fast row of errors proves nothing). */
export function noFailures(rows: readonly Measured[]): Check {
  const failed = rows.reduce((sum, row) => sum + failures(row.result), 0);
  return check('failed-requests', 'failed requests over all rows', failed, '==', 0, 'count');
}
