import { ConfigError, integer, optional, type Env } from '@verdict/sidecar/config-values';
import { loadPolicyEngineConfig, type PolicyEngineConfig } from '@verdict/sidecar/policy-engine';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { DEV_AUDIT_KEY_FILE } from './audit/hmac-key.js';

export { ConfigError };

/** How the service reaches its policy decision point. */
export type PdpMode = 'sidecar' | 'embedded';

/** The API's listeners and the HTTP facts they trust. */
export interface HttpConfig {
  readonly port: number;
  readonly host: string;
  /** The `/metrics` listener. */
  readonly adminPort: number;
  readonly trustedProxies: readonly string[];
  readonly corsOrigins: readonly string[];
}

/** How access tokens are verified (`createJwtVerifier`). */
export interface JwtConfig {
  readonly jwksUrl: URL;
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly string[];
  readonly clockToleranceS: number;
  readonly maxLifetimeS: number;
  readonly jwksCooldownS: number;
  readonly jwksCacheMaxAgeS: number;
}

/**
 * RFC 9728 protected-resource metadata (`RESOURCE_URL`, `AUTHORIZATION_SERVERS`): when set, the
 * service serves `/.well-known/oauth-protected-resource` and names it in every Bearer challenge.
 */
export interface ResourceMetadataConfig {
  /** The resource identifier: the API's public URL (the gateway's), no path, query or fragment. */
  readonly resource: string;
  /** Issuer URLs of the authorization servers whose tokens the API takes [JWT_ISSUER]. */
  readonly authorizationServers: readonly string[];
}

/** Where decisions come from. */
export interface PdpConfig {
  readonly mode: PdpMode;
  /** The sidecar (sidecar mode). */
  readonly url: string;
  /** How long the sidecar may take to answer a call once it is sent (PDP_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** How long a call may wait for a free connection to the sidecar (PDP_QUEUE_TIMEOUT_MS). */
  readonly queueTimeoutMs: number;
}

/** The database. */
export interface StoreConfig {
  readonly databaseUrl: string;
}

/** The audit chain's key and its checkpoints outside the database. */
export interface AuditConfig {
  readonly hmacKeyFile: string | undefined;
  readonly checkpointFile: string;
}

/** Rate-limit counters in a Redis every replica shares (REDIS_URL). */
export interface RedisLimitsConfig {
  /** `redis://` or `rediss://` (TLS), with `user:password@` and a `/db` number when needed. */
  readonly url: string;
  /** Put before every counter's key, so several deployments can share one Redis (REDIS_KEY_PREFIX). */
  readonly keyPrefix: string;
  /** The longest one counter update may take before the request is limited in memory (REDIS_TIMEOUT_MS). */
  readonly timeoutMs: number;
}

/** Request limits. */
export interface LimitsConfig {
  readonly rateLimitPerMin: number;
  /** Counters shared through Redis; in this process's memory when undefined. */
  readonly redis: RedisLimitsConfig | undefined;
}

/** The service's configuration, in sections each validated on its own: read once, frozen. */
export interface Config {
  readonly http: HttpConfig;
  readonly jwt: JwtConfig;
  readonly resource: ResourceMetadataConfig | undefined;
  readonly pdp: PdpConfig;
  /**
   * Embedded mode only: the policy engine's bundle source, keys, decision log and shadow bundle
   * (SHADOW_BUNDLE_PATH or SHADOW_BUNDLE_URL, SHADOW_SAMPLE), read from the sidecar's own variables
   * by the sidecar's own reader (BUNDLE_PATH defaults to the local build).
   */
  readonly bundle: PolicyEngineConfig | undefined;
  readonly store: StoreConfig;
  readonly audit: AuditConfig;
  readonly limits: LimitsConfig;
  readonly logLevel: string;
}

/** Asymmetric JWS algorithms the service can verify; `none` and HS* are never accepted. */
export const SUPPORTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function text(env: Env, name: string, fallback?: string): string {
  const value = env[name]?.trim();
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) return fallback;
  throw new ConfigError(name, 'is required');
}

function list(env: Env, name: string, fallback: readonly string[] = []): string[] {
  const raw = optional(env, name);
  if (raw === undefined) return [...fallback];
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function jwksUrl(env: Env): URL {
  const raw = text(env, 'JWKS_URL');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('JWKS_URL', `is not a URL: "${raw}"`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError('JWKS_URL', 'must not carry credentials (user:password@)');
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw new ConfigError('JWKS_URL', 'must use https (plain http is allowed on loopback only)');
}

function algorithms(env: Env): string[] {
  const values = list(env, 'JWT_ALGORITHMS', ['PS256', 'RS256', 'ES256', 'EdDSA']);
  if (values.length === 0) throw new ConfigError('JWT_ALGORITHMS', 'must name at least one algorithm');
  for (const alg of values) {
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new ConfigError(
        'JWT_ALGORITHMS',
        `"${alg}" is not allowed; choose from ${SUPPORTED_ALGORITHMS.join(', ')} (never none or HS*)`,
      );
    }
  }
  return values;
}

function trustedProxies(env: Env): string[] {
  const values = list(env, 'TRUSTED_PROXIES');
  for (const value of values) {
    const [address, bits, extra] = value.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 6 ? 128 : 32;
    const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !bitsOk || extra !== undefined) {
      throw new ConfigError('TRUSTED_PROXIES', `"${value}" is not an IP address or CIDR range`);
    }
  }
  return values;
}

function corsOrigins(env: Env): string[] {
  const values = list(env, 'CORS_ORIGINS');
  for (const value of values) {
    let origin: string;
    try {
      origin = new URL(value).origin;
    } catch {
      throw new ConfigError('CORS_ORIGINS', `"${value}" is not an origin such as https://app.example`);
    }
    if (origin !== value)
      throw new ConfigError('CORS_ORIGINS', `"${value}" must be a bare origin ("${origin}")`);
  }
  return values;
}

function pdpUrl(env: Env): string {
  const raw = text(env, 'PDP_URL', 'http://127.0.0.1:8181');
  if (raw.startsWith('unix:') && raw.length > 'unix:'.length) return raw;
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return raw.replace(/\/+$/, '');
  } catch {
    // reported below
  }
  throw new ConfigError('PDP_URL', `must be an http(s) URL or unix:/path, got "${raw}"`);
}

/**
 * AUDIT_CHECKPOINT_FILE, by default `audit-checkpoints.jsonl` beside the audit key. It anchors the
 * chain outside the database, so it may be neither the database (or its journal) nor the key.
 */
function auditCheckpointFile(env: Env, databaseUrl: string, keyFile: string | undefined): string {
  const file =
    optional(env, 'AUDIT_CHECKPOINT_FILE') ??
    join(dirname(keyFile ?? DEV_AUDIT_KEY_FILE), 'audit-checkpoints.jsonl');
  const database = resolve(databaseUrl.slice('sqlite:'.length));
  const target = resolve(file);
  if (['', '-wal', '-shm', '-journal'].some((suffix) => target === database + suffix))
    throw new ConfigError('AUDIT_CHECKPOINT_FILE', `must be outside the database, not ${file}`);
  if (target === resolve(keyFile ?? DEV_AUDIT_KEY_FILE))
    throw new ConfigError('AUDIT_CHECKPOINT_FILE', `must not be the audit key file ${file}`);
  return file;
}

/** DATABASE_URL: `sqlite:<path>` (the embedded default) or `postgres://…` / `postgresql://…`. */
function storeConfig(env: Env): StoreConfig {
  const databaseUrl = text(env, 'DATABASE_URL', 'sqlite:./data/verdict.db');
  const postgres = /^postgres(ql)?:\/\//.test(databaseUrl) && URL.canParse(databaseUrl);
  // The URL may hold a password, so the message never repeats it.
  if (!databaseUrl.startsWith('sqlite:') && !postgres)
    throw new ConfigError('DATABASE_URL', 'must be sqlite:<path> or a postgres:// (postgresql://) URL');
  return Object.freeze({ databaseUrl });
}

function auditConfig(env: Env, store: StoreConfig): AuditConfig {
  const hmacKeyFile = optional(env, 'AUDIT_HMAC_KEY_FILE');
  return Object.freeze({
    hmacKeyFile,
    checkpointFile: auditCheckpointFile(env, store.databaseUrl, hmacKeyFile),
  });
}

/** What `npm run audit:verify` reads: only DATABASE_URL, AUDIT_HMAC_KEY_FILE and AUDIT_CHECKPOINT_FILE. */
export function loadAuditConfig(env: Env): { readonly store: StoreConfig; readonly audit: AuditConfig } {
  const store = storeConfig(env);
  return Object.freeze({ store, audit: auditConfig(env, store) });
}

function httpConfig(env: Env): HttpConfig {
  return Object.freeze({
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: text(env, 'HOST', '127.0.0.1'),
    adminPort: integer(env, 'ADMIN_PORT', 9464, 0, 65535),
    trustedProxies: Object.freeze(trustedProxies(env)),
    corsOrigins: Object.freeze(corsOrigins(env)),
  });
}

function jwtConfig(env: Env): JwtConfig {
  return Object.freeze({
    jwksUrl: jwksUrl(env),
    issuer: text(env, 'JWT_ISSUER'),
    audience: text(env, 'JWT_AUDIENCE'),
    algorithms: Object.freeze(algorithms(env)),
    clockToleranceS: integer(env, 'JWT_CLOCK_TOLERANCE_S', 30, 0, 300),
    maxLifetimeS: integer(env, 'JWT_MAX_LIFETIME_S', 3600, 1, 86400),
    jwksCooldownS: integer(env, 'JWKS_COOLDOWN_S', 30, 0, 3600),
    jwksCacheMaxAgeS: integer(env, 'JWKS_CACHE_MAX_AGE_S', 600, 1, 86400),
  });
}

/** An absolute https URL (http on loopback), without credentials, query or fragment. */
function publicUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname)))
    throw new ConfigError(name, `must be an https URL (http only on loopback), got "${raw}"`);
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw new ConfigError(name, `must carry no credentials, query or fragment, got "${raw}"`);
  return url;
}

function resourceConfig(env: Env, jwt: JwtConfig): ResourceMetadataConfig | undefined {
  const raw = optional(env, 'RESOURCE_URL');
  if (raw === undefined) {
    if (optional(env, 'AUTHORIZATION_SERVERS') !== undefined)
      throw new ConfigError('AUTHORIZATION_SERVERS', 'is used only with RESOURCE_URL; set both or neither');
    return undefined;
  }
  const resource = publicUrl('RESOURCE_URL', raw);
  if (resource.pathname !== '/')
    throw new ConfigError('RESOURCE_URL', `must be the API's origin without a path, got "${raw}"`);
  const servers = list(env, 'AUTHORIZATION_SERVERS', [jwt.issuer]);
  for (const server of servers) publicUrl('AUTHORIZATION_SERVERS', server);
  return Object.freeze({ resource: resource.origin, authorizationServers: Object.freeze(servers) });
}

function pdpConfig(env: Env): PdpConfig {
  const mode = text(env, 'PDP_MODE', 'sidecar');
  if (mode !== 'sidecar' && mode !== 'embedded') {
    throw new ConfigError('PDP_MODE', `must be "sidecar" or "embedded", got "${mode}"`);
  }
  return Object.freeze({
    mode,
    url: pdpUrl(env),
    timeoutMs: integer(env, 'PDP_TIMEOUT_MS', 50, 1, 60000),
    queueTimeoutMs: integer(env, 'PDP_QUEUE_TIMEOUT_MS', 1000, 1, 60000),
  });
}

/** The bundle `npm run policy:build` writes, which embedded mode loads unless told otherwise. */
export const DEFAULT_BUNDLE_PATH = 'policies/build/bundle.tar.gz';

/**
 * REDIS_URL: `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS). The URL may hold a
 * password, so no message repeats it.
 */
function redisUrl(env: Env): string | undefined {
  const raw = optional(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  const shape = 'must be redis://[user:password@]host[:port][/db] or rediss://…';
  if (!URL.canParse(raw)) throw new ConfigError('REDIS_URL', `is not a URL; it ${shape}`);
  const url = new URL(raw);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new ConfigError('REDIS_URL', `${shape} (got a ${url.protocol.slice(0, -1)}: URL)`);
  if (url.hostname === '') throw new ConfigError('REDIS_URL', `names no host; it ${shape}`);
  if (!/^\/?(\d{1,5})?$/.test(url.pathname))
    throw new ConfigError('REDIS_URL', `has a path that is not a database number; it ${shape}`);
  if (url.search !== '' || url.hash !== '')
    throw new ConfigError('REDIS_URL', `must carry no query or fragment; it ${shape}`);
  return raw;
}

function limitsConfig(env: Env): LimitsConfig {
  const url = redisUrl(env);
  const prefix = optional(env, 'REDIS_KEY_PREFIX');
  const timeout = optional(env, 'REDIS_TIMEOUT_MS');
  if (url === undefined && (prefix !== undefined || timeout !== undefined))
    throw new ConfigError(
      prefix !== undefined ? 'REDIS_KEY_PREFIX' : 'REDIS_TIMEOUT_MS',
      'is used only with REDIS_URL',
    );
  const keyPrefix = prefix ?? 'verdict';
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(keyPrefix))
    throw new ConfigError('REDIS_KEY_PREFIX', 'must be 1 to 64 letters, digits, ".", "_", ":" or "-"');
  return Object.freeze({
    rateLimitPerMin: integer(env, 'RATE_LIMIT_PER_MIN', 600, 1, 1_000_000),
    redis:
      url === undefined
        ? undefined
        : Object.freeze({ url, keyPrefix, timeoutMs: integer(env, 'REDIS_TIMEOUT_MS', 100, 1, 10_000) }),
  });
}

function logLevel(env: Env): string {
  const level = text(env, 'LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(level))
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

/** Reads and validates the service configuration; throws a ConfigError naming the first bad variable. */
export function loadConfig(env: Env): Config {
  const pdp = pdpConfig(env);
  const level = logLevel(env);
  const { store, audit } = loadAuditConfig(env);
  const limits = limitsConfig(env);
  const jwt = jwtConfig(env);
  return Object.freeze({
    http: httpConfig(env),
    jwt,
    resource: resourceConfig(env, jwt),
    pdp,
    bundle: pdp.mode === 'embedded' ? loadPolicyEngineConfig(env, DEFAULT_BUNDLE_PATH) : undefined,
    store,
    audit,
    limits,
    logLevel: level,
  });
}
