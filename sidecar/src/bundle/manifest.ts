import { BundleInvalidError } from '../errors.js';
import { isJsonObject } from '../json-object.js';

/** One WASM module a bundle's manifest lists for an entrypoint. */
export interface ManifestWasmEntry {
  readonly entrypoint: string;
  readonly module: string;
}

/** The parts of OPA's `.manifest` the engine uses; a bundle without one gets these defaults. */
export interface BundleManifest {
  /** `--revision` of `opa build`; `''` when absent. */
  readonly revision: string;
  /** Data and policy roots the bundle owns; `['']` (everything) when absent. */
  readonly roots: readonly string[];
  readonly wasm: readonly ManifestWasmEntry[];
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Parses `.manifest` bytes (or `undefined` when the bundle has none), strictly on the fields it reads. */
export function parseManifest(bytes: Buffer | undefined): BundleManifest {
  if (bytes === undefined) return { revision: '', roots: [''], wasm: [], metadata: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new BundleInvalidError('.manifest is not JSON', { cause: error });
  }
  if (!isJsonObject(parsed)) throw new BundleInvalidError('.manifest is not a JSON object');
  const { revision = '', roots = [''], wasm = [], metadata = {} } = parsed;
  if (typeof revision !== 'string') throw new BundleInvalidError('.manifest revision is not a string');
  if (!Array.isArray(roots) || !roots.every((root) => typeof root === 'string')) {
    throw new BundleInvalidError('.manifest roots is not an array of strings');
  }
  if (!isJsonObject(metadata)) throw new BundleInvalidError('.manifest metadata is not an object');
  if (!Array.isArray(wasm)) throw new BundleInvalidError('.manifest wasm is not an array');
  const entries = wasm.map((entry: unknown): ManifestWasmEntry => {
    if (!isJsonObject(entry) || typeof entry.entrypoint !== 'string' || typeof entry.module !== 'string') {
      throw new BundleInvalidError('.manifest wasm entry needs string entrypoint and module');
    }
    return { entrypoint: entry.entrypoint, module: entry.module };
  });
  return { revision, roots: roots, wasm: entries, metadata };
}
