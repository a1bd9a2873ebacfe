/** A policy build from an edited copy of the sources (scripts/policy-variant.mjs). */
export interface PolicyVariant {
  readonly wasm: Buffer;
  readonly rego: Buffer;
  readonly revision: string;
  /** The development key's keys.json, when the variant was signed with it. */
  readonly keys: string;
}

export function buildPolicyVariant(options: {
  readonly into: string;
  /** The policy sources to copy, laid out like policies/ (default: the repository's policies/). */
  readonly from?: string;
  readonly edit?: (root: string) => void;
  readonly env?: Readonly<Record<string, string>>;
}): PolicyVariant;
