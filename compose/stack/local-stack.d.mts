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
export const MAINS: Readonly<Record<'authServer' | 'sidecar' | 'service' | 'seed', string>>;

export type PartName = 'authServer' | 'bundleServer' | 'sidecar' | 'service' | 'gateway';
export type Environment = Readonly<Record<string, string>>;

export function partEnvironments(options: {
  readonly root?: string;
  readonly ports: StackPorts;
  readonly host: string;
  readonly dataDir: string;
  readonly logLevel: string;
  readonly discovered?: { readonly issuer: string; readonly jwks_uri: string };
  readonly bundlePollS: number;
}): Readonly<Record<Exclude<PartName, 'gateway'>, Environment>>;

export function gatewayValues(options: {
  readonly ports: StackPorts;
  readonly host: string;
  readonly dataDir: string;
  readonly certificates: Pick<GatewayCertificates, 'certificate' | 'key'>;
  readonly introspection: string;
  readonly rateLimit: { readonly rate: string; readonly burst: number };
  readonly workers: number;
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
  readonly rateLimit?: { readonly rate: string; readonly burst: number };
  readonly bundlePollS?: number;
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
  readonly environments: Readonly<Record<Exclude<PartName, 'gateway'>, Environment>>;
  request(path: string, init?: GatewayRequest): Promise<GatewayAnswer>;
  startPart(name: PartName): Promise<void>;
  stopPart(name: PartName): Promise<void>;
  stop(): Promise<void>;
}

export function startStack(options?: StackOptions): Promise<Stack>;
