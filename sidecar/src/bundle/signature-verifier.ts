import { compactVerify, decodeProtectedHeader, importSPKI, type CryptoKey, type KeyObject } from 'jose';
import type { BundleKeyAlgorithm, BundleKeyConfig } from '../config.js';
import { BundleInvalidError, describe } from '../errors.js';
import { isJsonObject } from '../json-object.js';
import type { BundleVerifier, UnverifiedBundle } from './bundle.js';
import { bundleFileDigest, FILE_HASH_ALGORITHMS } from './file-hash.js';

/** A bundle's signature is missing, malformed, made with an unknown key, or does not cover its files exactly. */
export class BundleSignatureError extends BundleInvalidError {
  /** Why, for metrics and logs: `unsigned`, `malformed`, `unknown_keyid`, `bad_signature`, `scope`, `files`. */
  readonly reason: string;

  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(`bundle signature: ${message}`, options);
    this.reason = reason;
  }
}

/** A public key ready to verify bundle signatures. */
export interface BundleVerificationKey {
  readonly algorithm: BundleKeyAlgorithm;
  readonly key: CryptoKey | KeyObject;
  readonly scope: string;
}

/** Imports the configured PEM keys; throws naming the key id when one cannot be used with its algorithm. */
export async function importBundleKeys(
  configs: ReadonlyMap<string, BundleKeyConfig>,
): Promise<ReadonlyMap<string, BundleVerificationKey>> {
  const keys = new Map<string, BundleVerificationKey>();
  for (const [keyId, config] of configs) {
    try {
      keys.set(keyId, { ...config, key: await importSPKI(config.key, config.algorithm) });
    } catch (error) {
      throw new Error(`key ${keyId} cannot be used for ${config.algorithm}: ${describe(error)}`, {
        cause: error,
      });
    }
  }
  return keys;
}

interface SignedFile {
  readonly name: string;
  readonly hash: string;
  readonly algorithm: string;
}

function decodeSegment(segment: string | undefined): unknown {
  try {
    return JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function readToken(signatures: Buffer): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(signatures.toString('utf8'));
  } catch (error) {
    throw new BundleSignatureError('malformed', '.signatures.json is not JSON', { cause: error });
  }
  if (!isJsonObject(parsed)) throw new BundleSignatureError('malformed', '.signatures.json is not an object');
  const { signatures: tokens, plugin = '' } = parsed;
  // `opa build` writes "_default", OPA's name for its own verifier; other plugins are not supported.
  if (plugin !== '' && plugin !== '_default')
    throw new BundleSignatureError('malformed', `signing plugin ${JSON.stringify(plugin)} is not supported`);
  if (!Array.isArray(tokens) || tokens.length !== 1 || typeof tokens[0] !== 'string')
    throw new BundleSignatureError('malformed', '.signatures.json must hold exactly one JWT');
  return tokens[0];
}

function keyIdOf(token: string): string {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch (error) {
    throw new BundleSignatureError('malformed', 'the JWT header cannot be decoded', { cause: error });
  }
  if (typeof kid === 'string' && kid !== '') return kid;
  // Like OPA: without a header kid, the (deprecated) keyid claim of the payload names the key.
  const payload = decodeSegment(token.split('.')[1]);
  const keyId = isJsonObject(payload) ? payload.keyid : undefined;
  if (typeof keyId === 'string' && keyId !== '') return keyId;
  throw new BundleSignatureError('malformed', 'the JWT names no key (no kid header, no keyid claim)');
}

function signedFiles(payload: unknown): SignedFile[] {
  if (!isJsonObject(payload) || !Array.isArray(payload.files))
    throw new BundleSignatureError('malformed', 'the JWT payload has no files list');
  const files: unknown[] = payload.files;
  return files.map((file) => {
    if (
      !isJsonObject(file) ||
      typeof file.name !== 'string' ||
      typeof file.hash !== 'string' ||
      typeof file.algorithm !== 'string'
    ) {
      throw new BundleSignatureError('malformed', 'a files entry needs string name, hash and algorithm');
    }
    return { name: file.name, hash: file.hash, algorithm: file.algorithm };
  });
}

/**
 * A {@link BundleVerifier} that accepts a bundle only when `.signatures.json` holds exactly one JWS
 * made by one of `keys` (chosen by the header `kid`, else the payload `keyid`, as OPA does), with the
 * key's algorithm and scope, whose file list names every file of the bundle with its digest — no file
 * missing, none extra, none altered. Bundles made by `opa build --signing-key … --signing-alg …`
 * verify as they are.
 */
export function signatureVerifier(keys: ReadonlyMap<string, BundleVerificationKey>): BundleVerifier {
  return async ({ files, signatures }: UnverifiedBundle): Promise<void> => {
    if (signatures === undefined)
      throw new BundleSignatureError(
        'unsigned',
        'the bundle has no .signatures.json and signing is required',
      );
    const token = readToken(signatures);
    const keyId = keyIdOf(token);
    const key = keys.get(keyId);
    if (key === undefined)
      throw new BundleSignatureError('unknown_keyid', `unknown keyid ${JSON.stringify(keyId)}`);

    let payload: unknown;
    try {
      const verified = await compactVerify(token, key.key, { algorithms: [key.algorithm] });
      payload = JSON.parse(Buffer.from(verified.payload).toString('utf8'));
    } catch (error) {
      throw new BundleSignatureError(
        'bad_signature',
        `the JWT does not verify with key ${keyId}: ${describe(error)}`,
        {
          cause: error,
        },
      );
    }
    const scope = isJsonObject(payload) && typeof payload.scope === 'string' ? payload.scope : '';
    if (scope !== key.scope)
      throw new BundleSignatureError('scope', `scope ${JSON.stringify(scope)} does not match key ${keyId}`);

    const expected = new Map<string, SignedFile>();
    for (const file of signedFiles(payload)) expected.set(file.name.replace(/^\/+/, ''), file);
    for (const [path, bytes] of files) {
      const name = path.slice(1);
      const file = expected.get(name);
      if (file === undefined)
        throw new BundleSignatureError('files', `file ${name} is not included in the signature`);
      if (!FILE_HASH_ALGORITHMS.has(file.algorithm))
        throw new BundleSignatureError(
          'files',
          `file ${name}: hash algorithm ${file.algorithm} is not accepted`,
        );
      let digest: string;
      try {
        digest = bundleFileDigest(path, bytes, file.algorithm);
      } catch (error) {
        throw new BundleSignatureError('files', `file ${name} cannot be hashed: ${describe(error)}`, {
          cause: error,
        });
      }
      if (digest !== file.hash.toLowerCase())
        throw new BundleSignatureError('files', `file ${name}: digest mismatch`);
      expected.delete(name);
    }
    if (expected.size > 0) {
      throw new BundleSignatureError(
        'files',
        `file(s) ${[...expected.keys()].join(', ')} are in the signature but not in the bundle`,
      );
    }
  };
}
