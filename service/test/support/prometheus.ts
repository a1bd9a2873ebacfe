import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free loopback port (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A real Prometheus (the Debian package the bootstrap installs) scraping loopback targets every second. */
export class TestPrometheus {
  readonly #child: ChildProcess;
  readonly #dir: string;
  readonly url: string;
  #log = '';

  private constructor(child: ChildProcess, dir: string, url: string) {
    this.#child = child;
    this.#dir = dir;
    this.url = url;
    child.stderr?.on('data', (chunk: Buffer) => (this.#log += chunk.toString()));
  }

  static async start(targets: Record<string, string[]>): Promise<TestPrometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-prometheus-'));
    const scrapeConfigs = Object.entries(targets)
      .map(
        ([job, hosts]) =>
          `  - job_name: ${job}\n    scrape_interval: 1s\n    static_configs:\n      - targets: [${hosts.map((h) => `'${h}'`).join(', ')}]`,
      )
      .join('\n');
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n${scrapeConfigs}\n`,
    );
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const prometheus = new TestPrometheus(child, dir, `http://127.0.0.1:${port}`);
    await prometheus.#waitReady();
    return prometheus;
  }

  async #waitReady(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.#child.exitCode !== null) throw new Error(`prometheus exited: ${this.#log.slice(-2000)}`);
      try {
        if ((await fetch(`${this.url}/-/ready`)).ok) return;
      } catch {
        // not up yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`prometheus not ready in 20 s: ${this.#log.slice(-2000)}`);
  }

  /** An instant query's vector result. */
  async query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      status: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`query failed: ${JSON.stringify(body)}`);
    return body.data.result;
  }

  /** Polls `promql` until `accept` holds for its result (or the deadline passes) and returns the last result. */
  async waitFor(
    promql: string,
    accept: (result: { metric: Record<string, string>; value: [number, string] }[]) => boolean,
    timeoutMs = 20_000,
  ) {
    const deadline = Date.now() + timeoutMs;
    let result = await this.query(promql);
    while (!accept(result) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      result = await this.query(promql);
    }
    return result;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill('SIGTERM');
    await exited;
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
