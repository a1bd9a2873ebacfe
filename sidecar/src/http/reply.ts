import type { IncomingMessage } from 'node:http';

/** What a route answers; the router serialises it (JSON unless `text` is given). */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  /** A non-JSON body (Prometheus exposition) with its content type. */
  readonly text?: { readonly contentType: string; readonly content: string };
  readonly headers?: Readonly<Record<string, string>>;
}

/** One request as a route sees it. */
export interface RouteContext {
  readonly request: IncomingMessage;
  readonly url: URL;
  /** What follows the route's prefix, percent-decoded, without leading or trailing `/`. */
  readonly rest: string;
}

/** A named route handler. */
export type RouteHandler = (context: RouteContext) => Promise<Reply>;

/** OPA's boolean query parameters: present without a value, or `true`. */
export function booleanParam(url: URL, name: string): boolean {
  const value = url.searchParams.get(name);
  return value !== null && (value === '' || value.toLowerCase() === 'true');
}
