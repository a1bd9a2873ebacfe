import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayCertificates } from './certificates.mjs';

export const ROOT: string;
export const API_HOST: string;
export const API_AUDIENCE: string;

export interface StackPorts {
  readonly gateway: number;
  readonly authServer: number;
  readonly service: number;
  readonly admin: number;
  readonly sidecar: number;
  readonly bundles: number;
}

export const DEFAULT_PORTS: StackPorts;
export const MAX_REPLICAS: number;

/** One replica's ports: its service, the service's admin port (/metrics) and its sidecar. */
export interface ReplicaPorts {
  readonly service: number;
  readonly admin: number;
  readonly sidecar: number;
}

/** Each replica's ports: the first from `ports`, each next one 10 higher, unless `given` names them. */
export function replicaPorts(
  ports: StackPorts,
  replicas: number,
  given?: readonly Partial<ReplicaPorts>[],
): ReplicaPorts[];

/** A replica's part names: `sidecar`/`service` with one replica, `sidecar-<n>`/`service-<n>` with more. */
export function replicaNames(index: number, replicas: number): { sidecar: string; service: string };
export const MAINS: Readonly<Record<'authServer' | 'sidecar' | 'service' | 'seed', string>>;

/** `sidecar`/`service` with one replica, `sidecar-<n>`/`service-<n>` with several. */
export type ReplicaPartName = 'sidecar' | 'service' | `sidecar-${number}` | `service-${number}`;
export type PartName = 'authServer' | 'bundleServer' | 'postgres' | 'redis' | ReplicaPartName | 'gateway';
export type Environment = Readonly<Record<string, string>>;

/** One replica's environments and part names. */
export interface ReplicaEnvironments {
  readonly names: { readonly sidecar: string; readonly service: string };
  readonly sidecar: Environment;
  readonly service: Environment;
}

/** Every part's environment; `sidecar` and `service` are the first replica's. */
export interface PartEnvironments {
  readonly authServer: Environment;
  readonly bundleServer: Environment;
  readonly sidecar: Environment;
  readonly service: Environment;
  readonly replicas: readonly ReplicaEnvironments[];
}

export function partEnvironments(options: {
  readonly root?: string;
  readonly ports: StackPorts;
  readonly host: string;
  readonly dataDir: string;
  readonly logLevel: string;
  readonly discovered?: { readonly issuer: string; readonly jwks_uri: string };
  readonly bundlePollS: number;
  readonly bundleDir?: string;
  readonly replicas?: readonly ReplicaPorts[];
  /** Required with several replicas: the PostgreSQL they share. */
  readonly databaseUrl?: string;
  /** Required with several replicas: the Redis they share. */
  readonly redisUrl?: string;
  readonly rateLimitPerMin?: number;
}): PartEnvironments;

export function gatewayValues(options: {
  readonly ports: StackPorts;
  readonly host: string;
  readonly dataDir: string;
  readonly certificates: Pick<GatewayCertificates, 'certificate' | 'key'>;
  readonly introspection: string;
  readonly rateLimit: { readonly rate: string; readonly burst: number };
  readonly workers: number;
  readonly replicas?: readonly ReplicaPorts[];
}): Record<string, string>;

/** A request through the gateway over TLS and its answer. */
export interface GatewayRequest {
  readonly method?: string;
  /** Header values; an array sends the header several times. */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: string;
  /** The loopback address to connect from (rate limits are per address). */
  readonly localAddress?: string;
}

export interface GatewayAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export function gatewayRequest(
  options: GatewayRequest & { readonly port: number; readonly ca: string; readonly path: string },
): Promise<GatewayAnswer>;

export interface StackOptions {
  readonly root?: string;
  readonly ports?: Partial<StackPorts>;
  readonly host?: string;
  readonly dataDir?: string;
  /** `inherit`, or a directory for one log file per part. */
  readonly logs?: string;
  readonly logLevel?: string;
  /** The gateway's per-address limit (nginx). */
  readonly rateLimit?: { readonly rate: string; readonly burst: number };
  /** The services' RATE_LIMIT_PER_MIN (unset: the service's default). */
  readonly rateLimitPerMin?: number;
  readonly bundlePollS?: number;
  /** What the bundle server serves [policies/build]. */
  readonly bundleDir?: string;
  /** Service + sidecar pairs [1]; more than one runs on a throwaway PostgreSQL and Redis. */
  readonly replicas?: number;
  readonly replicaPorts?: readonly Partial<ReplicaPorts>[];
  readonly workers?: number;
  readonly readyTimeoutMs?: number;
  readonly onExit?: (name: PartName, code: number | null, signal: string | null) => void;
}

export interface Stack {
  readonly ports: StackPorts;
  readonly dataDir: string;
  /** The development CA's certificate (PEM). */
  readonly ca: string;
  readonly caFile: string;
  readonly issuer: string;
  readonly discovery: Readonly<Record<string, unknown>>;
  readonly resourceUrl: string;
  readonly accessLog: string;
  readonly errorLog: string;
  readonly environments: PartEnvironments;
  readonly replicas: readonly (ReplicaPorts & {
    readonly names: { readonly sidecar: string; readonly service: string };
    readonly serviceUrl: string;
    readonly sidecarUrl: string;
  })[];
  /** The services' DATABASE_URL (`sqlite:…`, or the stack's PostgreSQL with several replicas). */
  readonly databaseUrl: string;
  /** The stack's Redis with several replicas. */
  readonly redisUrl: string | undefined;
  /** The AUDIT_CHECKPOINT_FILE every replica appends to. */
  readonly checkpointFile: string;
  readonly bundleDir: string;
  request(path: string, init?: GatewayRequest): Promise<GatewayAnswer>;
  startPart(name: PartName): Promise<void>;
  stopPart(name: PartName): Promise<void>;
  stop(): Promise<void>;
}

export function startStack(options?: StackOptions): Promise<Stack>;
