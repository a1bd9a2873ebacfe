import { InvalidTokenError } from '../errors.js';

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Whether `segment` is the one base64url encoding of its bytes (RFC 7515 §2): the URL-safe
 * alphabet only, no `=` padding, no length that no byte string has, and zero unused low bits.
 */
export function isCanonicalBase64url(segment: string): boolean {
  if (!BASE64URL.test(segment)) return false;
  const tail = segment.length % 4;
  if (tail === 0) return true;
  if (tail === 1) return false;
  // A 2-character tail carries 8 bits of 12 (4 unused), a 3-character tail 16 of 18 (2 unused).
  const unusedBits = tail === 2 ? 0b1111 : 0b11;
  return (BASE64URL_ALPHABET.indexOf(segment.charAt(segment.length - 1)) & unusedBits) === 0;
}

/**
 * Refuses a token unless it is a compact JWS of three non-empty canonical base64url segments. jose
 * decodes leniently (padding, stray bits, whitespace), so one signature would have many spellings.
 */
export function assertCanonicalJws(token: string): void {
  const segments = token.split('.');
  if (segments.length !== 3 || !segments.every(isCanonicalBase64url)) {
    throw new InvalidTokenError(
      'the token is malformed: a JWS needs three unpadded base64url segments',
      'malformed',
    );
  }
}
