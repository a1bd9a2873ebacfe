import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { BundleInvalidError, EngineError, describe } from '../errors.js';
import { isJsonObject, type JsonObject } from '../json-object.js';
import { parseManifest, type BundleManifest } from './manifest.js';
import { normaliseEntryPath, readTar } from './tar.js';

const gunzipAsync = promisify(gunzip);

/** Where OPA puts a bundle's signatures; it is kept apart from {@link Bundle.files}. */
export const SIGNATURES_PATH = '/.signatures.json';

/** What a signature verifier sees: every file but the signatures, and the signatures file if any. */
export interface UnverifiedBundle {
  readonly files: ReadonlyMap<string, Buffer>;
  readonly signatures: Buffer | undefined;
}

/**
 * Checks a bundle before anything in it is parsed or loaded; throws to reject it. An
 * {@link EngineError} it throws is passed on as is, anything else becomes a {@link BundleInvalidError}.
 */
export type BundleVerifier = (bundle: UnverifiedBundle) => void | Promise<void>;

/** How much a bundle may cost, and how it is verified. */
export interface ReadBundleOptions {
  /** Largest uncompressed archive, in bytes (default 64 MiB): a gzip bomb stops here. */
  readonly maxBytes?: number;
  /** Most files in the archive (default 10 000). */
  readonly maxEntries?: number;
  /** Signature verification seam; without it signatures are not checked (see ARCHITECTURE.md, Bundles). */
  readonly verify?: BundleVerifier;
}

/** A parsed WASM bundle: its files by path (`/policy.wasm`, `/data.json`, …), manifest, module and data. */
export interface Bundle extends UnverifiedBundle {
  readonly manifest: BundleManifest;
  readonly wasm: Buffer;
  /** Every `data.json` / `data.yaml` (each an object) merged at its directory's path, as OPA does. */
  readonly data: JsonObject;
}

/** Default of {@link ReadBundleOptions.maxBytes}. */
export const DEFAULT_MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

/**
 * Reads an OPA bundle `.tar.gz` as `opa build -t wasm` writes it. Throws {@link BundleInvalidError}
 * when it is not gzip, not a safe tar, has no WASM module or unreadable data.
 */
export async function readBundle(archive: Buffer, options: ReadBundleOptions = {}): Promise<Bundle> {
  let tar: Buffer;
  try {
    tar = await gunzipAsync(archive, { maxOutputLength: options.maxBytes ?? DEFAULT_MAX_BUNDLE_BYTES });
  } catch (error) {
    throw new BundleInvalidError(`bundle is not a readable gzip archive: ${describe(error)}`, {
      cause: error,
    });
  }

  const files = new Map<string, Buffer>();
  let signatures: Buffer | undefined;
  for (const entry of readTar(
    tar,
    options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries },
  )) {
    if (entry.path === SIGNATURES_PATH) signatures = entry.data;
    else files.set(entry.path, entry.data);
  }

  if (options.verify) {
    try {
      await options.verify({ files, signatures });
    } catch (error) {
      if (error instanceof EngineError) throw error;
      throw new BundleInvalidError(`bundle verification failed: ${describe(error)}`, { cause: error });
    }
  }

  const manifest = parseManifest(files.get('/.manifest'));
  return { files, signatures, manifest, wasm: findWasm(files, manifest), data: mergeData(files) };
}

function findWasm(files: ReadonlyMap<string, Buffer>, manifest: BundleManifest): Buffer {
  const modules = new Set(manifest.wasm.map((entry) => normaliseEntryPath(entry.module)));
  if (modules.size > 1)
    throw new BundleInvalidError(`bundle has ${modules.size} WASM modules; one is supported`);
  const [path = '/policy.wasm'] = modules;
  const wasm = files.get(path);
  if (!wasm) throw new BundleInvalidError(`bundle has no ${path} (build it with opa build -t wasm)`);
  return wasm;
}

function mergeData(files: ReadonlyMap<string, Buffer>): JsonObject {
  const root: JsonObject = {};
  const paths = [...files.keys()].filter((path) => /\/data\.(json|ya?ml)$/.test(path)).sort();
  for (const path of paths) {
    const value = parseDataFile(path, files.get(path) ?? Buffer.alloc(0));
    if (!isJsonObject(value)) throw new BundleInvalidError(`${path} is not an object`);
    let target = root;
    for (const segment of path.split('/').slice(1, -1)) {
      const next = Object.hasOwn(target, segment) ? target[segment] : setOwn(target, segment, {});
      if (!isJsonObject(next))
        throw new BundleInvalidError(`${path} conflicts with other data at ${segment}`);
      target = next;
    }
    mergeInto(target, value, path);
  }
  return root;
}

function mergeInto(target: JsonObject, source: JsonObject, path: string): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    if (existing === undefined) setOwn(target, key, value);
    else if (isJsonObject(existing) && isJsonObject(value)) mergeInto(existing, value, path);
    else throw new BundleInvalidError(`${path} conflicts with other data at key ${key}`);
  }
}

/** Defines an own property, so a key named `__proto__` is data, never a prototype. */
function setOwn<T>(target: JsonObject, key: string, value: T): T {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return value;
}

function parseDataFile(path: string, bytes: Buffer): unknown {
  try {
    const text = bytes.toString('utf8');
    return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new BundleInvalidError(`${path} cannot be parsed: ${describe(error)}`, { cause: error });
  }
}
