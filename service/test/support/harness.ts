import { decodeJwt } from 'jose';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createApp, type AppDeps } from '../../src/app.js';
import type { JwtConfig, RedisLimitsConfig, ResourceMetadataConfig } from '../../src/config.js';
import type { ReadinessCheck } from '../../src/health.js';
import { sealWith, type AuditEntry } from '../../src/audit/record.js';
import { createJwtVerifier, createKeySet } from '../../src/auth/create-jwt-verifier.js';
import { TokenCache } from '../../src/auth/token-cache.js';
import type { Authorizer } from '../../src/authz/decision.js';
import { EmbeddedAuthorizer } from '../../src/authz/embedded-authorizer.js';
import { Engine } from '@verdict/sidecar/engine';
import { openRateLimitStore, type RateLimitStore } from '../../src/http/rate-limit-store.js';
import { answerUnknownMethods } from '../../src/http/unknown-methods.js';
import { createLogger } from '../../src/logger.js';
import { ServiceMetrics } from '../../src/metrics/service-metrics.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { ALGORITHMS, AUDIENCE, baseClaims, ISSUER, sign, TestIssuer } from './issuer.js';

/** The compiled policy bundle (`npm run policy:build`), the one the service enforces. */
export const BUNDLE_PATH = join(import.meta.dirname, '..', '..', '..', 'policies', 'build', 'bundle.tar.gz');

let engine: Promise<Engine> | undefined;

/** The real policy, in-process: the compiled WASM bundle through the sidecar's engine (loaded once per file). */
export async function policyAuthorizer(): Promise<EmbeddedAuthorizer> {
  engine ??= Engine.fromFile(BUNDLE_PATH);
  const loaded = await engine;
  return new EmbeddedAuthorizer(() => loaded);
}

/** A valid create body (a small pending grocery payment on alice's account) for tests to spread and vary. */
export const NEW_TRANSACTION = {
  account_id: 'acct-alice-retail',
  amount_minor: 4200,
  currency: 'EUR',
  category: 'groceries',
  counterparty: { name: 'Shop', account: 'DE001' },
} as const;

/** The scopes of a customer who may read, write and delete. */
export const CUSTOMER_SCOPES = 'transactions:read transactions:write transactions:delete';

/** 2026-11-23T10:00:00Z, a Monday (11:00 in Berlin): every test's frozen "now". */
export const FROZEN_NOW_MS = Date.parse('2026-11-23T10:00:00Z');

export interface HarnessOptions {
  readonly authorizer?: Authorizer;
  /** Readiness checks beside the database and the signing keys (embedded mode adds its bundle's). */
  readonly readiness?: readonly ReadinessCheck[];
  readonly rateLimitPerMin?: number;
  /** Rate-limit counters in this Redis (REDIS_URL), as server.ts wires them; in memory when absent. */
  readonly redis?: RedisLimitsConfig;
  readonly corsOrigins?: readonly string[];
  readonly trustedProxies?: readonly string[];
  readonly cooldownS?: number;
  readonly cacheMaxAgeS?: number;
  readonly issuer?: TestIssuer;
  /** Node's process metrics too, as the real service exposes them. */
  readonly processMetrics?: boolean;
  /** RFC 9728 metadata, as RESOURCE_URL configures it. */
  readonly resource?: ResourceMetadataConfig;
}

export interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly body: any;
}

/** Raw request options: headers as [name, value] pairs so duplicates can be sent. */
export interface RequestOptions {
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: unknown;
  readonly rawBody?: string | Buffer;
  readonly token?: string;
}

/**
 * The app built from real parts — a real JWKS over HTTP, a SQLite file in a temp dir, a frozen
 * clock, a captured log — listening on an ephemeral loopback port.
 */
export class Harness {
  readonly logLines: string[] = [];
  clockMs = FROZEN_NOW_MS;
  #server!: Server;
  #base = '';
  #dir = '';
  store!: SqliteStore;
  metrics!: ServiceMetrics;
  #rateLimits!: RateLimitStore;
  /** The audit chain's key, generated per harness. */
  readonly auditKey = randomBytes(32);
  get databasePath(): string {
    return join(this.#dir, 'verdict.db');
  }
  cache!: TokenCache;
  issuer!: TestIssuer;
  #ownIssuer = false;

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const harness = new Harness();
    await harness.#start(options);
    return harness;
  }

  async #start(options: HarnessOptions): Promise<void> {
    this.#ownIssuer = options.issuer === undefined;
    this.metrics = new ServiceMetrics(options.processMetrics ?? false);
    this.issuer = options.issuer ?? (await TestIssuer.start());
    this.#dir = mkdtempSync(join(tmpdir(), 'verdict-test-'));
    const now = (): number => this.clockMs;
    const logger = createLogger(
      'info',
      new Writable({
        write: (chunk: Buffer, _encoding, callback) => {
          this.logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
          callback();
        },
      }),
    );
    this.store = SqliteStore.open(join(this.#dir, 'verdict.db'), {
      seal: sealWith(this.auditKey),
      now,
      // As server.ts wires it.
      onAuditFailure: () => {
        this.metrics.auditWriteFailures.inc();
      },
    });
    await this.account('alice', 'retail');
    this.cache = new TokenCache();
    const jwt: JwtConfig = {
      jwksUrl: this.issuer.jwksUrl,
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ALGORITHMS,
      clockToleranceS: 30,
      maxLifetimeS: 3600,
      jwksCooldownS: options.cooldownS ?? 30,
      jwksCacheMaxAgeS: options.cacheMaxAgeS ?? 600,
    };
    const jwtDeps = { cache: this.cache, now, logger, jwksTimeoutMs: 1000 };
    const keySet = createKeySet(jwt, jwtDeps);
    const verifier = createJwtVerifier(jwt, keySet, jwtDeps);
    const rateLimitPerMin = options.rateLimitPerMin ?? 10_000;
    this.#rateLimits = openRateLimitStore(
      { rateLimitPerMin, redis: options.redis },
      { logger, now, metrics: this.metrics },
    );
    const deps: AppDeps = {
      logger,
      store: this.store,
      authorizer: options.authorizer ?? (await policyAuthorizer()),
      verifier,
      readiness: [
        ...(options.readiness ?? []),
        { name: 'database', check: () => this.store.ping().then(() => true) },
        // As server.ts wires it.
        { name: 'signing_keys', check: async () => keySet.ready || (await keySet.refresh()) },
      ],
      corsOrigins: options.corsOrigins ?? [],
      trustedProxies: options.trustedProxies ?? [],
      rateLimitPerMin,
      rateLimits: this.#rateLimits,
      ...(options.resource === undefined ? {} : { resource: options.resource }),
      now,
      metrics: this.metrics,
    };
    const handle = createApp(deps).callback();
    this.#server = createServer((req, res) => {
      void handle(req, res);
    });
    answerUnknownMethods(this.#server, handle);
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Claims of a fresh strong authentication: what step-up (RFC 9470) asks for. */
  get steppedUp(): { acr: string; auth_time: number } {
    return { acr: 'urn:verdict:acr:mfa', auth_time: this.nowS - 60 };
  }

  /**
   * The account `acct-<owner>-<department>` (opened in the store on first use, with its audit
   * record): the account a test's customer creates transactions on.
   */
  account(owner = 'alice', department = 'retail'): Promise<string> {
    const id = `acct-${owner}-${department}`;
    let opened = this.#accounts.get(id);
    if (opened === undefined) {
      opened = this.#openAccount(id, owner, department);
      this.#accounts.set(id, opened);
    }
    return opened;
  }

  readonly #accounts = new Map<string, Promise<string>>();

  async #openAccount(id: string, owner: string, department: string): Promise<string> {
    if ((await this.store.getAccount(id)) === undefined) {
      await this.store.openAccount(
        {
          id,
          owner,
          department,
          currency: 'EUR',
          status: 'open',
          created_at: new Date(FROZEN_NOW_MS - 86_400_000).toISOString(),
          version: 1,
        },
        { ...setupAuditEntry(id), id: `setup-${id}`, action: 'accounts:open', resource_type: 'account' },
      );
    }
    return id;
  }

  /** The account of a token's `sub` at its `department` (or the default branch), opened on first use. */
  accountFor(token: string): Promise<string> {
    const claims = decodeJwt(token);
    return this.account(
      String(claims.sub),
      typeof claims.department === 'string' ? claims.department : 'retail',
    );
  }

  /** Where the app listens, `http://127.0.0.1:<port>`. */
  get baseUrl(): string {
    return this.#base;
  }

  get nowS(): number {
    return Math.floor(this.clockMs / 1000);
  }

  /** A valid token for `alg` with claim overrides. */
  token(overrides: Record<string, unknown> = {}, alg = 'ES256'): Promise<string> {
    return sign(this.issuer.key(alg), baseClaims(this.nowS, overrides));
  }

  /** Sends one request with exactly the given headers (duplicates kept). */
  request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = new URL(path, this.#base);
    const headers: string[] = ['Host', url.host];
    if (options.token !== undefined) headers.push('Authorization', `Bearer ${options.token}`);
    for (const [name, value] of options.headers ?? []) headers.push(name, value);
    let payload: Buffer | undefined;
    if (options.rawBody !== undefined) payload = Buffer.from(options.rawBody);
    else if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body));
      if (!(options.headers ?? []).some(([name]) => name.toLowerCase() === 'content-type')) {
        headers.push('Content-Type', 'application/json');
      }
    }
    if (payload !== undefined) headers.push('Content-Length', String(payload.length));
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { method, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.store.close();
    await this.#rateLimits.close();
    if (this.#ownIssuer) await this.issuer.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** An audit entry for rows a test writes straight into the store. */
export function setupAuditEntry(resourceId: string): AuditEntry {
  return {
    id: `setup-${resourceId}`,
    time: new Date(FROZEN_NOW_MS).toISOString(),
    request_id: 'test-setup',
    decision_id: null,
    bundle_revision: null,
    action: 'transactions:create',
    resource_type: 'transaction',
    resource_id: resourceId,
    sub: 'test-setup',
    client_id: 'test-setup',
    agent_id: null,
    agent_client_type: null,
    outcome: 'allowed',
    reasons: [],
    http_status: 201,
    changed_fields: [],
    client_ip: null,
  };
}

/** The value of one sample of a Prometheus text exposition, or undefined. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}
