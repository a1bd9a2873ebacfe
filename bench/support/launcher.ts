import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BenchIssuer } from './issuer.js';
import { AUDIENCE } from './issuer.js';

/** The repository root. */
export const ROOT = join(import.meta.dirname, '..', '..');

/** What `npm run build` makes; the launcher runs these when both exist. */
export const DIST = {
  service: join(ROOT, 'service', 'dist', 'server.js'),
  sidecar: join(ROOT, 'sidecar', 'dist', 'main.js'),
} as const;

const SOURCES = {
  service: join(ROOT, 'service', 'src', 'server.ts'),
  sidecar: join(ROOT, 'sidecar', 'src', 'main.ts'),
} as const;

/** The compiled WASM bundle (`npm run policy:build`), the one every server under test decides with. */
export const BUNDLE_PATH = join(ROOT, 'policies', 'build', 'bundle.tar.gz');
/** The same policies as a plain Rego bundle, for `opa run --server`. */
export const REGO_BUNDLE_PATH = join(ROOT, 'policies', 'build', 'rego-bundle.tar.gz');
/** The public key the development build signs bundles with, in OPA's `keys` format and as PEM. */
export const BUNDLE_KEYS = join(ROOT, 'data', 'bundle-signing', 'keys.json');
export const BUNDLE_PUBLIC_PEM = join(ROOT, 'data', 'bundle-signing', 'public.pem');
export const BUNDLE_PRIVATE_PEM = join(ROOT, 'data', 'bundle-signing', 'private.pem');
const OPA = join(ROOT, '.tools', 'bin', 'opa');

/** `dist`: the compiled service and sidecar under plain Node; `sources`: TypeScript through tsx. */
export type LaunchMode = 'dist' | 'sources';

/** Where a server listens: a loopback TCP port or a Unix socket. */
export type Address = { readonly port: number } | { readonly socketPath: string };

/** A loopback port free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** One GET to a server; resolves with the status and body, rejects when it cannot connect. */
export function get(address: Address, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { ...('port' in address ? { host: '127.0.0.1', port: address.port } : address), path, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** A child process of the benchmark: a server under test. */
export class Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (`null` when killed by a signal) once the process has exited. */
  readonly exit: Promise<number | null>;

  constructor(name: string, child: ChildProcess, logFile: string) {
    this.name = name;
    this.child = child;
    this.logFile = logFile;
    this.exit = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else
        child.once('exit', (code) => {
          resolve(code);
        });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resident set size now, in bytes (Linux `/proc/<pid>/status`). */
  rssBytes(): number {
    const status = readFileSync(`/proc/${String(this.child.pid)}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    if (kb === undefined) throw new Error(`no VmRSS for ${this.name}`);
    return Number(kb) * 1024;
  }

  /** The end of its log, for error messages. */
  logTail(lines = 15): string {
    try {
      return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exit;
    clearTimeout(timer);
  }

  /** Polls `path` until it answers 200; throws when the process exits or `timeoutMs` passes. */
  async waitReady(address: Address, path: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited while starting:\n${this.logTail()}`);
      try {
        if ((await get(address, path)).status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await this.stop();
    throw new Error(`${this.name} was not ready in ${timeoutMs / 1000} s:\n${this.logTail()}`);
  }
}

/** A running server: its process and where it listens. */
export interface Server {
  readonly proc: Proc;
  readonly port: number;
}

/** The sidecar process. */
export interface Sidecar {
  readonly proc: Proc;
  readonly address: Address;
  /** What the service's PDP_URL is set to. */
  readonly pdpUrl: string;
}

/** How the service decides: in-process, or by the sidecar over TCP or a Unix socket. */
export type StackKind = 'embedded' | 'sidecar-tcp' | 'sidecar-unix';

/** The service, and the sidecar in the sidecar modes. */
export interface Stack {
  readonly kind: StackKind;
  readonly service: Server;
  readonly sidecar: Sidecar | undefined;
  /** The processes whose memory is the stack's. */
  readonly procs: readonly Proc[];
  stop(): Promise<void>;
}

/** What the servers under test share: the run's directory (which holds the database) and the issuer. */
export interface LauncherOptions {
  readonly dir: string;
  readonly issuer: BenchIssuer;
  /** Extra Node flags of the service, the sidecar and the bench servers (bench/profile.ts: `--cpu-prof`). */
  readonly nodeFlags?: readonly string[];
}

/** The bench servers of bench/servers/. */
export type BenchServerName = 'bare-koa' | 'minimal-reference' | 'peer-stack';

/**
 * Starts everything a scenario measures as child processes: the service and the sidecar (their
 * compiled `dist/` when `npm run build` has made it, else their sources through tsx; same
 * variables either way), the bench servers, and `opa run --server`. Every process it started is
 * stopped by {@link Launcher.stopAll}.
 */
export class Launcher {
  readonly mode: LaunchMode;
  /** The SQLite file every server under test reads (seeded through the service, bench/support/seed.ts). */
  readonly databasePath: string;
  /** The audit chain's key (AUDIT_HMAC_KEY_FILE), generated per run. */
  readonly auditKeyFile: string;
  readonly #options: LauncherOptions;
  readonly #procs = new Set<Proc>();
  #count = 0;

  constructor(options: LauncherOptions) {
    this.#options = options;
    this.mode = existsSync(DIST.service) && existsSync(DIST.sidecar) ? 'dist' : 'sources';
    this.databasePath = join(options.dir, 'verdict.db');
    this.auditKeyFile = join(options.dir, 'audit-hmac.key');
    writeFileSync(this.auditKeyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  }

  /** Node's arguments to run a TypeScript file of bench/ (the engine from dist/ when built). */
  benchNodeArgs(file: string): string[] {
    return [...(this.mode === 'dist' ? ['--conditions=production'] : []), '--import', 'tsx', file];
  }

  #nodeArgs(program: 'service' | 'sidecar'): string[] {
    return [
      ...this.#profileArgs(),
      ...(this.mode === 'dist'
        ? ['--conditions=production', DIST[program]]
        : ['--import', 'tsx', SOURCES[program]]),
    ];
  }

  #profileArgs(): string[] {
    return [...(this.#options.nodeFlags ?? [])];
  }

  #spawn(name: string, command: string, args: readonly string[], env: Record<string, string> = {}): Proc {
    this.#count += 1;
    const logFile = join(this.#options.dir, `${String(this.#count).padStart(2, '0')}-${name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const proc = new Proc(name, child, logFile);
    this.#procs.add(proc);
    child.once('exit', () => this.#procs.delete(proc));
    return proc;
  }

  /** The sidecar on a free port, or on `socketPath`, serving `bundlePath` (signature-verified). */
  async startSidecar(options: { socketPath?: string; bundlePath?: string } = {}): Promise<Sidecar> {
    const port = await freePort();
    const env: Record<string, string> = {
      PORT: String(port),
      HOST: '127.0.0.1',
      BUNDLE_PATH: options.bundlePath ?? BUNDLE_PATH,
      BUNDLE_PUBLIC_KEYS: BUNDLE_KEYS,
      DECISION_LOG: 'off',
      LOG_LEVEL: 'warn',
    };
    if (options.socketPath !== undefined) env.SOCKET_PATH = options.socketPath;
    const proc = this.#spawn('sidecar', process.execPath, this.#nodeArgs('sidecar'), env);
    const address: Address = options.socketPath === undefined ? { port } : { socketPath: options.socketPath };
    await proc.waitReady(address, '/health?bundles');
    return {
      proc,
      address,
      pdpUrl: options.socketPath === undefined ? `http://127.0.0.1:${port}` : `unix:${options.socketPath}`,
    };
  }

  /** The service on a free port: embedded mode, or asking the sidecar at `pdpUrl`. */
  async startService(pdp: { embedded: true; bundlePath?: string } | { pdpUrl: string }): Promise<Server> {
    const { dir, issuer } = this.#options;
    const [port, adminPort] = [await freePort(), await freePort()];
    const env: Record<string, string> = {
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_PORT: String(adminPort),
      DATABASE_URL: `sqlite:${this.databasePath}`,
      AUDIT_HMAC_KEY_FILE: this.auditKeyFile,
      AUDIT_CHECKPOINT_FILE: join(dir, 'audit-checkpoints.jsonl'),
      JWKS_URL: issuer.jwksUrl,
      JWT_ISSUER: issuer.issuer,
      JWT_AUDIENCE: AUDIENCE,
      RATE_LIMIT_PER_MIN: '1000000',
      LOG_LEVEL: 'warn',
    };
    if ('pdpUrl' in pdp) Object.assign(env, { PDP_MODE: 'sidecar', PDP_URL: pdp.pdpUrl });
    else
      Object.assign(env, {
        PDP_MODE: 'embedded',
        BUNDLE_PATH: pdp.bundlePath ?? BUNDLE_PATH,
        BUNDLE_PUBLIC_KEYS: BUNDLE_KEYS,
        DECISION_LOG: 'off',
      });
    const proc = this.#spawn('service', process.execPath, this.#nodeArgs('service'), env);
    await proc.waitReady({ port }, '/health/ready');
    return { proc, port };
  }

  /** The service in `kind` mode, with its sidecar when it has one. */
  async startStack(kind: StackKind, options: { bundlePath?: string } = {}): Promise<Stack> {
    let sidecar: Sidecar | undefined;
    let service: Server;
    if (kind === 'embedded') {
      service = await this.startService({ embedded: true, ...options });
    } else {
      sidecar = await this.startSidecar({
        ...options,
        ...(kind === 'sidecar-unix'
          ? { socketPath: join(this.#options.dir, `pdp-${this.#count}.sock`) }
          : {}),
      });
      service = await this.startService({ pdpUrl: sidecar.pdpUrl });
    }
    const procs = sidecar === undefined ? [service.proc] : [service.proc, sidecar.proc];
    return {
      kind,
      service,
      sidecar,
      procs,
      stop: async () => {
        await service.proc.stop();
        await sidecar?.proc.stop();
      },
    };
  }

  /** A server of bench/servers/ on a free port (`opaUrl` for the peer stack). */
  async startBenchServer(name: BenchServerName, extra: Record<string, string> = {}): Promise<Server> {
    const { issuer } = this.#options;
    const port = await freePort();
    const env = {
      PORT: String(port),
      DATABASE_PATH: this.databasePath,
      BUNDLE_PATH,
      JWKS_URL: issuer.jwksUrl,
      JWT_ISSUER: issuer.issuer,
      JWT_AUDIENCE: AUDIENCE,
      ...extra,
    };
    const file = join(ROOT, 'bench', 'servers', `${name}.ts`);
    const proc = this.#spawn(
      name,
      process.execPath,
      [...this.#profileArgs(), ...this.benchNodeArgs(file)],
      env,
    );
    await proc.waitReady({ port }, '/health');
    return { proc, port };
  }

  /** `opa run --server` on the Rego bundle (signature-verified with the same key). */
  async startOpa(): Promise<Server> {
    if (!existsSync(OPA)) throw new Error(`${OPA} is missing: run npm run bootstrap`);
    const port = await freePort();
    const proc = this.#spawn(
      'opa',
      OPA,
      [
        'run',
        '--server',
        '--addr',
        `127.0.0.1:${port}`,
        '--verification-key',
        BUNDLE_PUBLIC_PEM,
        '--bundle',
        REGO_BUNDLE_PATH,
        '--log-level',
        'error',
      ],
      {},
    );
    await proc.waitReady({ port }, '/health?bundles');
    return { proc, port };
  }

  /**
   * Runs a worker of bench/workers/ (load generator, engine loop, raw verify) as a child process:
   * `input` goes to it as a JSON file, its result comes back from the JSON file it writes.
   */
  async runWorker<T>(name: string, input: unknown): Promise<T> {
    this.#count += 1;
    const base = join(this.#options.dir, `${String(this.#count).padStart(2, '0')}-${name}`);
    writeFileSync(`${base}.in.json`, JSON.stringify(input));
    const file = join(ROOT, 'bench', 'workers', `${name}.ts`);
    const proc = this.#spawn(name, process.execPath, [
      ...this.benchNodeArgs(file),
      `${base}.in.json`,
      `${base}.out.json`,
    ]);
    const code = await proc.exit;
    if (code !== 0) throw new Error(`the ${name} worker failed (exit ${String(code)}):\n${proc.logTail()}`);
    return JSON.parse(readFileSync(`${base}.out.json`, 'utf8')) as T;
  }

  /** Stops every process still running. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#procs].map((proc) => proc.stop()));
  }
}
