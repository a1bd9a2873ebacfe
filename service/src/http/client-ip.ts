import type { Context, Middleware } from 'koa';
import { BlockList, isIP, isIPv4 } from 'node:net';
import type { RequestState } from './state.js';

function normalise(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** Which peers are trusted reverse proxies, from TRUSTED_PROXIES entries (addresses or CIDRs). */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  constructor(entries: readonly string[]) {
    this.#empty = entries.length === 0;
    for (const entry of entries) {
      const [address = '', bits] = entry.split('/');
      const type = isIPv4(address) ? 'ipv4' : 'ipv6';
      if (bits === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, Number(bits), type);
    }
  }

  /** Whether the address belongs to a trusted proxy. */
  trusts(address: string): boolean {
    if (this.#empty || address === '') return false;
    const plain = normalise(address);
    return this.#list.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
  }

  /**
   * The client address: the peer, unless the peer is a trusted proxy; then the right-most
   * `X-Forwarded-For` entry that is not itself a trusted proxy.
   */
  clientIp(peer: string, forwardedFor: string): string {
    let address = normalise(peer);
    if (!this.trusts(address) || forwardedFor === '') return address;
    const hops = forwardedFor.split(',').map((hop) => normalise(hop.trim()));
    while (hops.length > 0 && this.trusts(address)) {
      const hop = hops.pop() ?? '';
      // A hop that is not an address (garbage, host:port) ends the walk: the last good one stands.
      if (isIP(hop) === 0) break;
      address = hop;
    }
    return address;
  }

  /** Whether the request came over TLS, directly or as a trusted proxy says. */
  isTls(ctx: Context): boolean {
    const socket = ctx.req.socket as { encrypted?: boolean };
    if (socket.encrypted === true) return true;
    return (
      this.trusts(ctx.req.socket.remoteAddress ?? '') &&
      ctx.get('X-Forwarded-Proto').split(',')[0]?.trim() === 'https'
    );
  }
}

/** Sets `ctx.state.clientIp` from the peer and, behind trusted proxies only, X-Forwarded-For. */
export function clientIp(proxies: TrustedProxies): Middleware<RequestState> {
  return function clientIp(ctx, next) {
    ctx.state.clientIp = proxies.clientIp(ctx.req.socket.remoteAddress ?? '', ctx.get('X-Forwarded-For'));
    return next();
  };
}
