import { ConfigError, integer, optional, type Env } from './config-values.js';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { isJsonObject } from './json-object.js';
import { parseMaskSpec, type MaskPath } from './decision-log/mask.js';

/** Signature algorithms a bundle key may use (ARCHITECTURE.md, Bundles); nothing else is accepted. */
export const BUNDLE_KEY_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** One of {@link BUNDLE_KEY_ALGORITHMS}. */
export type BundleKeyAlgorithm = (typeof BUNDLE_KEY_ALGORITHMS)[number];

/** A public key that may sign bundles, as OPA's `keys` configuration describes one. */
export interface BundleKeyConfig {
  readonly algorithm: BundleKeyAlgorithm;
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  readonly key: string;
  /** The `scope` a bundle signed with this key must carry (default `''`, as in OPA). */
  readonly scope: string;
}

/** Where the bundle comes from: a watched file or a polled URL. */
export type BundleSourceConfig =
  { readonly kind: 'file'; readonly path: string } | { readonly kind: 'url'; readonly url: URL };

/** Where decision-log lines go, besides an optional collector. */
export type DecisionLogTarget =
  { readonly kind: 'stdout' } | { readonly kind: 'file'; readonly path: string } | { readonly kind: 'off' };

/** Log levels, most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * What a policy engine needs wherever it runs — the sidecar, or the service in embedded mode: the
 * bundle source and its keys, and the decision log. The same variables in both processes.
 */
export interface PolicyEngineConfig {
  readonly bundle: BundleSourceConfig;
  readonly bundlePollS: number;
  /**
   * Keys by `keyid`; when set, every bundle must be signed by one of them. `undefined` means bundles
   * are not verified (a `.signatures.json` in them is ignored) and are reported as `signed: false`.
   */
  readonly bundlePublicKeys: ReadonlyMap<string, BundleKeyConfig> | undefined;
  readonly decisionLog: DecisionLogTarget;
  /** An OPA-compatible decision-log collector: batches are POSTed here gzipped. */
  readonly decisionLogUrl: URL | undefined;
  /** Paths erased from every decision-log event, on top of the built-in credential rule. */
  readonly decisionLogMask: readonly MaskPath[];
  /** A candidate bundle evaluated beside the active one and never enforced; `undefined` when unset. */
  readonly shadow: ShadowConfig | undefined;
}

/**
 * `SHADOW_BUNDLE_PATH` or `SHADOW_BUNDLE_URL`, and `SHADOW_SAMPLE`: the shadow bundle is loaded,
 * verified (`BUNDLE_PUBLIC_KEYS`) and reloaded (`BUNDLE_POLL_S`) under the active bundle's rules.
 */
export interface ShadowConfig {
  readonly bundle: BundleSourceConfig;
  /** The share of decisions also evaluated on the shadow bundle, 0..1 (`SHADOW_SAMPLE` [1]). */
  readonly sample: number;
}

/** The sidecar's configuration (ARCHITECTURE.md, Configuration): read once, validated, frozen. */
export interface SidecarConfig extends PolicyEngineConfig {
  readonly port: number;
  readonly host: string;
  /** When set, the sidecar listens on this Unix socket instead of TCP. */
  readonly socketPath: string | undefined;
  /** Most inputs one `POST /v1/batch/data/{path}` may hold; beyond it `413`. */
  readonly batchMaxInputs: number;
  readonly logLevel: LogLevel;
  /** `CONSOLE=on`: the policy console under `/console/`, for loopback clients only (`src/console/`). */
  readonly console: boolean;
}

export { ConfigError } from './config-values.js';

function httpUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(name, `must be an http(s) URL, got "${url.protocol}"`);
  return url;
}

/**
 * `BUNDLE_PATH` or `BUNDLE_URL`. A plain `http:` URL is refused unless bundles must be signed
 * (`signed`): without a signature only TLS protects the bundle on its way.
 */
function bundleSource(env: Env, signed: boolean, defaultPath: string | undefined): BundleSourceConfig {
  const path =
    optional(env, 'BUNDLE_PATH') ?? (optional(env, 'BUNDLE_URL') === undefined ? defaultPath : undefined);
  const raw = optional(env, 'BUNDLE_URL');
  if (path !== undefined && raw !== undefined)
    throw new ConfigError('BUNDLE_PATH', 'set BUNDLE_PATH or BUNDLE_URL, not both');
  if (path !== undefined) return { kind: 'file', path };
  if (raw === undefined) throw new ConfigError('BUNDLE_PATH', 'BUNDLE_PATH or BUNDLE_URL is required');
  const url = httpUrl('BUNDLE_URL', raw);
  if (url.protocol !== 'https:' && !signed)
    throw new ConfigError(
      'BUNDLE_URL',
      'must be an https: URL when BUNDLE_PUBLIC_KEYS is not set (an unsigned bundle over http can be replaced on the way)',
    );
  return { kind: 'url', url };
}

/**
 * `SHADOW_BUNDLE_PATH` or `SHADOW_BUNDLE_URL` (none: no shadow), with the active bundle's rule for a
 * plain `http:` URL: refused unless bundles must be signed.
 */
function shadowBundleSource(env: Env, signed: boolean): BundleSourceConfig | undefined {
  const path = optional(env, 'SHADOW_BUNDLE_PATH');
  const raw = optional(env, 'SHADOW_BUNDLE_URL');
  if (path !== undefined && raw !== undefined)
    throw new ConfigError('SHADOW_BUNDLE_PATH', 'set SHADOW_BUNDLE_PATH or SHADOW_BUNDLE_URL, not both');
  if (path !== undefined) return { kind: 'file', path };
  if (raw === undefined) return undefined;
  const url = httpUrl('SHADOW_BUNDLE_URL', raw);
  if (url.protocol !== 'https:' && !signed)
    throw new ConfigError(
      'SHADOW_BUNDLE_URL',
      'must be an https: URL when BUNDLE_PUBLIC_KEYS is not set (an unsigned bundle over http can be replaced on the way)',
    );
  return { kind: 'url', url };
}

/** `SHADOW_SAMPLE` [1]: a decimal from 0 to 1 (`0.05` shadows one decision in twenty). */
function shadowSample(env: Env): number {
  const raw = optional(env, 'SHADOW_SAMPLE');
  if (raw === undefined) return 1;
  const value = /^(?:0|1|0?\.\d+|1\.0*)$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= 0 && value <= 1))
    throw new ConfigError('SHADOW_SAMPLE', `must be a number from 0 to 1, got "${raw}"`);
  return value;
}

function shadow(env: Env, signed: boolean): ShadowConfig | undefined {
  const sample = shadowSample(env);
  const bundle = shadowBundleSource(env, signed);
  return bundle === undefined ? undefined : Object.freeze({ bundle: Object.freeze(bundle), sample });
}

function decisionLog(env: Env): DecisionLogTarget {
  const raw = optional(env, 'DECISION_LOG') ?? 'stdout';
  if (raw === 'stdout' || raw === 'off') return { kind: raw };
  if (raw.startsWith('file:') && raw.length > 'file:'.length) return { kind: 'file', path: raw.slice(5) };
  throw new ConfigError('DECISION_LOG', `must be stdout, off or file:<path>, got "${raw}"`);
}

/**
 * `BUNDLE_PUBLIC_KEYS`: a path to a YAML or JSON file, or the document itself inline (a value starting
 * with `{`), in the shape of OPA's `keys` configuration:
 * `{"keys": {"<keyid>": {"algorithm": "RS256", "key": "-----BEGIN PUBLIC KEY-----…", "scope": "…"}}}`.
 */
function bundlePublicKeys(env: Env): ReadonlyMap<string, BundleKeyConfig> | undefined {
  const name = 'BUNDLE_PUBLIC_KEYS';
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  let text = raw;
  if (!raw.startsWith('{')) {
    try {
      text = readFileSync(raw, 'utf8');
    } catch (error) {
      throw new ConfigError(name, `cannot read ${raw}: ${(error as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError(name, `is not YAML or JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(parsed) || !isJsonObject(parsed.keys))
    throw new ConfigError(name, 'must be an object with a "keys" object');
  const keys = new Map<string, BundleKeyConfig>();
  for (const [keyId, entry] of Object.entries(parsed.keys)) {
    if (keyId === '') throw new ConfigError(name, 'a key id is empty');
    if (!isJsonObject(entry)) throw new ConfigError(name, `key ${keyId} is not an object`);
    const { algorithm, key, scope = '' } = entry;
    if (!BUNDLE_KEY_ALGORITHMS.includes(algorithm as BundleKeyAlgorithm)) {
      throw new ConfigError(
        name,
        `key ${keyId}: algorithm must be one of ${BUNDLE_KEY_ALGORITHMS.join(', ')}, got ${JSON.stringify(algorithm)}`,
      );
    }
    if (typeof key !== 'string' || !key.includes('-----BEGIN PUBLIC KEY-----'))
      throw new ConfigError(name, `key ${keyId}: key must be a PEM public key (BEGIN PUBLIC KEY)`);
    if (typeof scope !== 'string') throw new ConfigError(name, `key ${keyId}: scope must be a string`);
    keys.set(keyId, Object.freeze({ algorithm: algorithm as BundleKeyAlgorithm, key, scope }));
  }
  if (keys.size === 0) throw new ConfigError(name, 'lists no keys');
  return keys;
}

function logLevel(env: Env): LogLevel {
  const raw = optional(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(raw as LogLevel))
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  return raw as LogLevel;
}

/**
 * Reads the policy engine's variables (BUNDLE_PATH or BUNDLE_URL, BUNDLE_POLL_S, BUNDLE_PUBLIC_KEYS,
 * DECISION_LOG, DECISION_LOG_URL, DECISION_LOG_MASK, SHADOW_BUNDLE_PATH or SHADOW_BUNDLE_URL,
 * SHADOW_SAMPLE): the sidecar's, and the service's in embedded
 * mode. `defaultBundlePath` is used when neither bundle variable is set (else one is required).
 */
export function loadPolicyEngineConfig(env: Env, defaultBundlePath?: string): PolicyEngineConfig {
  const rawUrl = optional(env, 'DECISION_LOG_URL');
  let decisionLogMask: readonly MaskPath[];
  try {
    decisionLogMask = parseMaskSpec(optional(env, 'DECISION_LOG_MASK') ?? '');
  } catch (error) {
    throw new ConfigError('DECISION_LOG_MASK', (error as Error).message);
  }
  const publicKeys = bundlePublicKeys(env);
  return Object.freeze({
    bundle: Object.freeze(bundleSource(env, publicKeys !== undefined, defaultBundlePath)),
    bundlePollS: integer(env, 'BUNDLE_POLL_S', 10, 1, 86_400),
    bundlePublicKeys: publicKeys,
    decisionLog: Object.freeze(decisionLog(env)),
    decisionLogUrl: rawUrl === undefined ? undefined : httpUrl('DECISION_LOG_URL', rawUrl),
    decisionLogMask: Object.freeze(decisionLogMask),
    shadow: shadow(env, publicKeys !== undefined),
  });
}

/**
 * `CONSOLE` [off]. On, it serves loopback clients only, so it needs a TCP listener a browser on the same
 * machine reaches: HOST loopback or a wildcard (`0.0.0.0`, `::`), and no SOCKET_PATH.
 */
function consoleOn(env: Env): boolean {
  const raw = optional(env, 'CONSOLE') ?? 'off';
  if (raw !== 'on' && raw !== 'off') throw new ConfigError('CONSOLE', `must be on or off, got "${raw}"`);
  if (raw === 'off') return false;
  if (optional(env, 'SOCKET_PATH') !== undefined)
    throw new ConfigError('CONSOLE', 'on needs a TCP listener (HOST, PORT), not SOCKET_PATH');
  const host = optional(env, 'HOST') ?? '127.0.0.1';
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost|0\.0\.0\.0|::)$/.test(host))
    throw new ConfigError('CONSOLE', `on serves loopback clients only, which HOST ${host} cannot reach`);
  return true;
}

/**
 * Reads and validates the sidecar's variables once. Throws {@link ConfigError} naming the first bad
 * variable; nothing else in the sidecar reads `process.env`.
 */
export function loadConfig(env: Env = process.env): SidecarConfig {
  const engine = loadPolicyEngineConfig(env);
  return Object.freeze({
    port: integer(env, 'PORT', 8181, 0, 65_535),
    host: optional(env, 'HOST') ?? '127.0.0.1',
    socketPath: optional(env, 'SOCKET_PATH'),
    ...engine,
    batchMaxInputs: integer(env, 'BATCH_MAX_INPUTS', 1000, 1, 100_000),
    logLevel: logLevel(env),
    console: consoleOn(env),
  });
}
