import { ConfigError, integer, optional, type Env } from '@verdict/sidecar/config-values';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { DEV_AUDIT_KEY_FILE } from './audit/hmac-key.js';

export { ConfigError };

/** How the service reaches its policy decision point. */
export type PdpMode = 'sidecar' | 'embedded';

/** The service's configuration: read once from the environment, validated and frozen. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly adminPort: number;
  readonly databaseUrl: string;
  readonly jwksUrl: URL;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  readonly jwtAlgorithms: readonly string[];
  readonly jwtClockToleranceS: number;
  readonly jwtMaxLifetimeS: number;
  readonly jwksCooldownS: number;
  readonly jwksCacheMaxAgeS: number;
  readonly pdpMode: PdpMode;
  readonly pdpUrl: string;
  readonly pdpTimeoutMs: number;
  readonly bundlePath: string;
  readonly trustedProxies: readonly string[];
  readonly corsOrigins: readonly string[];
  readonly rateLimitPerMin: number;
  readonly redisUrl: string | undefined;
  readonly auditHmacKeyFile: string | undefined;
  readonly auditCheckpointFile: string;
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

/** What the audit tools need: the database, the audit key and the checkpoint file (a subset of Config). */
export interface AuditConfig {
  readonly databaseUrl: string;
  readonly auditHmacKeyFile: string | undefined;
  readonly auditCheckpointFile: string;
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

/** Reads only DATABASE_URL, AUDIT_HMAC_KEY_FILE and AUDIT_CHECKPOINT_FILE, for `npm run audit:verify`. */
export function loadAuditConfig(env: Env): AuditConfig {
  const databaseUrl = text(env, 'DATABASE_URL', 'sqlite:./data/verdict.db');
  if (!databaseUrl.startsWith('sqlite:'))
    throw new ConfigError('DATABASE_URL', 'only sqlite:<path> is supported by this build');
  const auditHmacKeyFile = optional(env, 'AUDIT_HMAC_KEY_FILE');
  return Object.freeze({
    databaseUrl,
    auditHmacKeyFile,
    auditCheckpointFile: auditCheckpointFile(env, databaseUrl, auditHmacKeyFile),
  });
}

/** Reads and validates the service configuration; throws a ConfigError naming the first bad variable. */
export function loadConfig(env: Env): Config {
  const pdpMode = text(env, 'PDP_MODE', 'sidecar');
  if (pdpMode !== 'sidecar' && pdpMode !== 'embedded') {
    throw new ConfigError('PDP_MODE', `must be "sidecar" or "embedded", got "${pdpMode}"`);
  }
  const logLevel = text(env, 'LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const { databaseUrl, auditHmacKeyFile, auditCheckpointFile } = loadAuditConfig(env);
  const redisUrl = optional(env, 'REDIS_URL');
  if (redisUrl !== undefined) {
    throw new ConfigError('REDIS_URL', 'Redis-backed rate limits are not available in this build; unset it');
  }
  const config: Config = {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: text(env, 'HOST', '127.0.0.1'),
    adminPort: integer(env, 'ADMIN_PORT', 9464, 0, 65535),
    databaseUrl,
    jwksUrl: jwksUrl(env),
    jwtIssuer: text(env, 'JWT_ISSUER'),
    jwtAudience: text(env, 'JWT_AUDIENCE'),
    jwtAlgorithms: Object.freeze(algorithms(env)),
    jwtClockToleranceS: integer(env, 'JWT_CLOCK_TOLERANCE_S', 30, 0, 300),
    jwtMaxLifetimeS: integer(env, 'JWT_MAX_LIFETIME_S', 3600, 1, 86400),
    jwksCooldownS: integer(env, 'JWKS_COOLDOWN_S', 30, 0, 3600),
    jwksCacheMaxAgeS: integer(env, 'JWKS_CACHE_MAX_AGE_S', 600, 1, 86400),
    pdpMode,
    pdpUrl: pdpUrl(env),
    pdpTimeoutMs: integer(env, 'PDP_TIMEOUT_MS', 50, 1, 60000),
    bundlePath: text(env, 'BUNDLE_PATH', 'policies/build/bundle.tar.gz'),
    trustedProxies: Object.freeze(trustedProxies(env)),
    corsOrigins: Object.freeze(corsOrigins(env)),
    rateLimitPerMin: integer(env, 'RATE_LIMIT_PER_MIN', 600, 1, 1_000_000),
    redisUrl,
    auditHmacKeyFile,
    auditCheckpointFile,
    logLevel,
  };
  return Object.freeze(config);
}
