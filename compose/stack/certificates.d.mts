/** The names the gateway's development certificate covers. */
export const CERTIFICATE_NAMES: readonly string[];

/** Paths of the development CA and the gateway's certificate and key. */
export interface GatewayCertificates {
  readonly ca: string;
  readonly caKey: string;
  readonly certificate: string;
  readonly key: string;
  /** Whether they were made just now. */
  readonly created: boolean;
}

export function ensureGatewayCertificates(dir: string): GatewayCertificates;
export function readCa(dir: string): string;
