import { isAbsolute, join, resolve } from 'node:path';

/** A configuration value that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

/** The environment the process reads its configuration from. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The development authorization server's configuration, read once from the environment. */
export interface AuthServerConfig {
  readonly port: number;
  readonly host: string;
  /** The issuer identifier: `iss` of every token and the base of every endpoint URL. */
  readonly issuer: string;
  /** The `aud` of the API's access tokens. */
  readonly apiAudience: string;
  /** Where the signing key, cookie keys and client secrets live (created on first start). */
  readonly keysDir: string;
  /** The `api-gateway` client's secret, shared with the gateway. */
  readonly gatewayClientSecretFile: string;
  readonly accessTokenTtlS: number;
  /** Access-token lifetime for AI-agent clients. */
  readonly agentAccessTokenTtlS: number;
  readonly logLevel: string;
  /**
   * TRUST_PROXY [off]: `on` behind a TLS-terminating proxy (the gateway in compose), whose
   * X-Forwarded-Proto and X-Forwarded-Host then make the endpoint URLs of discovery.
   */
  readonly trustProxy: boolean;
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** An http(s) issuer without query, fragment or trailing slash (RFC 8414 §2). */
function issuer(env: Env): string {
  const raw = optional(env, 'ISSUER') ?? 'http://127.0.0.1:8180';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('ISSUER', `must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError('ISSUER', 'must be an http or https URL');
  if (url.search !== '' || url.hash !== '' || raw.endsWith('/'))
    throw new ConfigError('ISSUER', 'must have no query, fragment or trailing slash');
  return raw;
}

function path(env: Env, name: string, fallback: string): string {
  const value = optional(env, name) ?? fallback;
  return isAbsolute(value) ? value : resolve(value);
}

/**
 * Reads and validates the configuration; throws a ConfigError naming the first bad variable.
 * Nothing else in the auth server reads `process.env`.
 */
export function loadConfig(env: Env = process.env): AuthServerConfig {
  const keysDir = path(env, 'KEYS_DIR', 'data/auth-server');
  const accessTokenTtlS = integer(env, 'ACCESS_TOKEN_TTL_S', 600, 30, 3600);
  const agentAccessTokenTtlS = integer(env, 'AGENT_ACCESS_TOKEN_TTL_S', 300, 30, 3600);
  const logLevel = optional(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.has(logLevel))
    throw new ConfigError('LOG_LEVEL', `must be one of ${[...LOG_LEVELS].join(', ')}, got "${logLevel}"`);
  const apiAudience = optional(env, 'API_AUDIENCE') ?? 'verdict-transactions';
  const trustProxy = optional(env, 'TRUST_PROXY') ?? 'off';
  if (trustProxy !== 'on' && trustProxy !== 'off')
    throw new ConfigError('TRUST_PROXY', `must be "on" or "off", got "${trustProxy}"`);
  return Object.freeze({
    port: integer(env, 'PORT', 8180, 0, 65535),
    host: optional(env, 'HOST') ?? '127.0.0.1',
    issuer: issuer(env),
    apiAudience,
    keysDir,
    gatewayClientSecretFile: path(env, 'GATEWAY_CLIENT_SECRET_FILE', join(keysDir, 'gateway-client-secret')),
    accessTokenTtlS,
    agentAccessTokenTtlS,
    logLevel,
    trustProxy: trustProxy === 'on',
  });
}

/** What the token CLI reads: where the client secrets are, and the issuer to log in at. */
export interface TokenCliConfig {
  readonly issuer: string;
  readonly keysDir: string;
}

/** The token CLI's defaults from the same variables as the server's (`ISSUER`, `KEYS_DIR`). */
export function loadTokenCliConfig(env: Env = process.env): TokenCliConfig {
  return Object.freeze({ issuer: issuer(env), keysDir: path(env, 'KEYS_DIR', 'data/auth-server') });
}
