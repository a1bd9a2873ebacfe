import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { buildPolicyVariant } from '../../../scripts/policy-variant.mjs';
import type { UnverifiedBundle } from '../bundle/bundle.js';
import { importBundleKeys, signatureVerifier, BundleSignatureError } from '../bundle/signature-verifier.js';
import { ConfigError, loadPolicyEngineConfig } from '../config.js';
import { Engine } from '../engine.js';
import { describe } from '../errors.js';
import { isJsonObject } from '../json-object.js';
import { ImpactError } from './errors.js';

/**
 * Whether the candidate is signed. An impact analysis runs offline and accepts any candidate; the
 * report says which of these it was: `unsigned`; `signed` but not checked (no keys given);
 * `verified` with one of the given keys; `invalid` against them (with why); or `built` here from a
 * policies directory, signed only with a throwaway development key.
 */
export type CandidateSignature =
  | { readonly status: 'unsigned' }
  | { readonly status: 'signed'; readonly keyid: string | null }
  | { readonly status: 'verified'; readonly keyid: string | null }
  | {
      readonly status: 'invalid';
      readonly keyid: string | null;
      readonly reason: string;
      readonly detail: string;
    }
  | { readonly status: 'built' };

/** What a report says about the candidate. */
export interface CandidateInfo {
  /** The path as given. */
  readonly source: string;
  readonly kind: 'bundle' | 'policies';
  readonly revision: string;
  readonly signature: CandidateSignature;
}

/** A candidate bundle loaded into an engine, ready to replay decisions. */
export interface Candidate {
  readonly engine: Engine;
  readonly info: CandidateInfo;
}

/** How {@link loadCandidate} checks a signature. */
export interface CandidateOptions {
  /** Public keys (OPA `keys` format, as `BUNDLE_PUBLIC_KEYS` reads them) to verify a bundle's signature. */
  readonly keys?: string | undefined;
}

/**
 * Loads `source`: a bundle `.tar.gz` (as `npm run policy:build` writes it), or a directory laid out
 * like `policies/`, built first by the same build (scripts/policy-variant.mjs) in a temporary copy.
 * Throws {@link ImpactError} when it cannot be read, built or loaded.
 */
export async function loadCandidate(source: string, options: CandidateOptions = {}): Promise<Candidate> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(source)).isDirectory();
  } catch (error) {
    throw new ImpactError('unreadable_file', `--candidate: cannot read ${source}: ${describe(error)}`, {
      cause: error,
    });
  }
  if (isDirectory) {
    if (options.keys !== undefined)
      throw new ImpactError('bad_argument', '--keys applies to a bundle, not to a policies directory');
    const { wasm, revision } = await buildDirectory(source);
    const engine = await engineOf(wasm, source);
    return {
      engine,
      info: {
        source,
        kind: 'policies',
        revision: engine.revision || revision,
        signature: { status: 'built' },
      },
    };
  }
  let bundle: Buffer;
  try {
    bundle = await readFile(source);
  } catch (error) {
    throw new ImpactError('unreadable_file', `--candidate: cannot read ${source}: ${describe(error)}`, {
      cause: error,
    });
  }
  const check = await signatureCheck(options.keys);
  let signature: CandidateSignature = { status: 'unsigned' };
  const engine = await engineOf(bundle, source, async (unverified) => {
    signature = await check(unverified);
  });
  return { engine, info: { source, kind: 'bundle', revision: engine.revision, signature } };
}

async function engineOf(
  bundle: Buffer,
  source: string,
  verify?: (bundle: UnverifiedBundle) => Promise<void>,
): Promise<Engine> {
  try {
    return await Engine.fromBuffer(bundle, verify === undefined ? {} : { verify });
  } catch (error) {
    throw new ImpactError(
      'candidate_invalid',
      `--candidate: ${source} is not a usable bundle: ${describe(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** The build of a policies directory, in a temporary copy that is removed afterwards. */
async function buildDirectory(source: string): Promise<{ wasm: Buffer; revision: string }> {
  const into = await mkdtemp(join(tmpdir(), 'verdict-impact-'));
  try {
    return buildPolicyVariant({ into, from: resolve(source) });
  } catch (error) {
    const lines = describe(error)
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('policy-build: ') && line !== 'policy build failed:');
    const detail = lines.slice(0, 3).join('; ') || 'see policy-build';
    throw new ImpactError('candidate_invalid', `--candidate: ${source} does not build: ${detail}`, {
      cause: error,
    });
  } finally {
    await rm(into, { recursive: true, force: true });
  }
}

/** What a bundle's signature is, against `keysPath` when given. */
async function signatureCheck(
  keysPath: string | undefined,
): Promise<(bundle: UnverifiedBundle) => Promise<CandidateSignature>> {
  const verifier = keysPath === undefined ? undefined : signatureVerifier(await importKeys(keysPath));
  return async (bundle) => {
    if (bundle.signatures === undefined) return { status: 'unsigned' };
    const keyid = keyIdOf(bundle.signatures);
    if (verifier === undefined) return { status: 'signed', keyid };
    try {
      await verifier(bundle);
      return { status: 'verified', keyid };
    } catch (error) {
      const reason = error instanceof BundleSignatureError ? error.reason : 'malformed';
      return { status: 'invalid', keyid, reason, detail: describe(error) };
    }
  };
}

/** The keys file read exactly as the sidecar reads `BUNDLE_PUBLIC_KEYS`. */
async function importKeys(path: string) {
  try {
    const config = loadPolicyEngineConfig({ BUNDLE_PUBLIC_KEYS: path }, 'unused');
    if (config.bundlePublicKeys === undefined) throw new ImpactError('bad_argument', '--keys: no keys given');
    return await importBundleKeys(config.bundlePublicKeys);
  } catch (error) {
    if (error instanceof ImpactError) throw error;
    const message =
      error instanceof ConfigError ? error.message.slice(error.variable.length + 2) : describe(error);
    throw new ImpactError('bad_argument', `--keys: ${message}`, { cause: error });
  }
}

/** The `kid` the signature names (not verified), or `null`. */
function keyIdOf(signatures: Buffer): string | null {
  try {
    const parsed: unknown = JSON.parse(signatures.toString('utf8'));
    const tokens: unknown = isJsonObject(parsed) ? parsed.signatures : undefined;
    const token: unknown = Array.isArray(tokens) ? (tokens as unknown[])[0] : undefined;
    if (typeof token !== 'string') return null;
    const { kid } = decodeProtectedHeader(token);
    return typeof kid === 'string' ? kid : null;
  } catch {
    return null;
  }
}
