import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The session cookie's name; its value is a session id, never the access key. */
export const SESSION_COOKIE = 'verdict_console';

/** 32 random bytes, base64url: the console's access key, or a session id. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Compares a presented secret with the expected one in constant time: both are hashed first, so
 * neither their contents nor their lengths show in the timing.
 */
export function sameSecret(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Whether an IP address (as `socket.remoteAddress` gives it) is loopback: 127/8, ::1, or v4-mapped 127/8. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const bare = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
}

/**
 * Whether a `Host` header names this machine's loopback (`127.x.y.z`, `[::1]`, `localhost`), with any
 * port. Anything else is refused, so a page from another site cannot reach the console by pointing its
 * own name at 127.0.0.1 (DNS rebinding).
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = /^(\[[^\]]+\]|[^:]+)(?::\d{1,5})?$/.exec(host.trim())?.[1]?.toLowerCase();
  if (name === undefined) return false;
  if (name === 'localhost') return true;
  const address = name.startsWith('[') ? name.slice(1, -1) : name;
  return isIP(address) !== 0 && isLoopbackAddress(address);
}

/** The value of one cookie in a request's `Cookie` header, or undefined. */
export function cookieValue(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

/** Sessions live at most this long after login, whatever happens in them. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

/** At most this many sessions are held; a new login beyond it ends the oldest. */
export const MAX_SESSIONS = 64;

/**
 * Console sessions in memory: an id (random, the cookie's value) → when it ends. A restart ends them
 * all, as it makes a new access key.
 */
export class Sessions {
  readonly #ends = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Starts a session; returns its id. */
  open(): string {
    const id = randomToken();
    if (this.#ends.size >= MAX_SESSIONS) {
      const [oldest] = this.#ends.keys();
      if (oldest !== undefined) this.#ends.delete(oldest);
    }
    this.#ends.set(id, this.#now() + SESSION_TTL_MS);
    return id;
  }

  /** Whether `id` is a live session (compared by map lookup of a 256-bit random value). */
  valid(id: string | undefined): boolean {
    if (id === undefined) return false;
    const ends = this.#ends.get(id);
    if (ends === undefined) return false;
    if (ends > this.#now()) return true;
    this.#ends.delete(id);
    return false;
  }

  close(id: string | undefined): void {
    if (id !== undefined) this.#ends.delete(id);
  }
}
