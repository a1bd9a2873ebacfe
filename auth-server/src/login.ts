import { createHash, randomBytes } from 'node:crypto';
import { DEV_ONE_TIME_CODE, DEV_PASSWORD } from './accounts.js';
import type { LimitParam } from './agent-limits.js';
import { findClient, REDIRECT_URIS } from './clients.js';
import { ACR_MFA } from './step-up.js';

/** A login or token request that did not end in a token; `code` says where it stopped. */
export class LoginError extends Error {
  constructor(
    readonly code:
      'discovery_failed' | 'login_failed' | 'authorization_failed' | 'token_failed' | 'unexpected_response',
    message: string,
  ) {
    super(message);
    this.name = 'LoginError';
  }
}

/** The token endpoint's answer (RFC 6749 §5.1). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_in: number;
  readonly scope?: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
}

/** How to log in; everything but `issuer` and `username` has a development default. */
export interface LoginOptions {
  /** The authorization server's issuer [http://127.0.0.1:8180]. */
  readonly issuer?: string;
  readonly username: string;
  /** [verdict] */
  readonly password?: string;
  /** [web-app] */
  readonly clientId?: string;
  /** A confidential client's secret (budget-bot). */
  readonly clientSecret?: string;
  /** Space-separated scopes [every API scope the client may have]; `openid` is always added. */
  readonly scope?: string;
  /** Step-up: asks for acr_values=urn:verdict:acr:mfa and enters the one-time code. */
  readonly mfa?: boolean;
  /** The one-time code to enter [000000 with `mfa`]. */
  readonly otp?: string;
  /** An agent's limits, requested in the authorization request and confirmed on the consent page. */
  readonly limits?: Partial<Record<LimitParam, string | number | readonly string[]>>;
  /** Values the user changes on the consent page before allowing (an agent's limit fields). */
  readonly consent?: Partial<Record<LimitParam, string>>;
  /** Extra authorization request parameters (e.g. max_age, prompt). */
  readonly params?: Readonly<Record<string, string>>;
  readonly redirectUri?: string;
}

/** An authorization code and what its exchange needs. */
export interface Authorization {
  readonly code: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
  readonly clientId: string;
  readonly tokenEndpoint: string;
}

interface Metadata {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
}

const DEFAULT_ISSUER = 'http://127.0.0.1:8180';
const MAX_STEPS = 12;

/** The server's metadata, from its discovery document. */
export async function discover(issuer: string = DEFAULT_ISSUER): Promise<Metadata> {
  let res: Response;
  try {
    res = await fetch(`${issuer}/.well-known/openid-configuration`);
  } catch (error) {
    throw new LoginError('discovery_failed', `cannot reach ${issuer}: ${(error as Error).message}`);
  }
  if (!res.ok) throw new LoginError('discovery_failed', `discovery at ${issuer} answered ${res.status}`);
  const metadata = (await res.json()) as Metadata;
  if (metadata.issuer !== issuer)
    throw new LoginError('discovery_failed', `issuer mismatch: ${metadata.issuer}`);
  return metadata;
}

/** The cookies of one user agent, by name (every cookie is sent to the one server it talks to). */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key = '', date = ''] = attribute.split('=');
        return key.trim().toLowerCase() === 'expires' && Date.parse(date) <= Date.now();
      });
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

function unescapeHtml(value: string): string {
  return value
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/** The first form of an interaction page: where it posts and the values it would send. */
function firstForm(html: string, page: URL): { action: URL; fields: Record<string, string> } {
  const form = /<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/.exec(html);
  if (form === null) throw new LoginError('unexpected_response', `no form on ${page.pathname}`);
  const fields: Record<string, string> = {};
  for (const [tag] of (form[2] ?? '').matchAll(/<input\b[^>]*>/g)) {
    const name = /\bname="([^"]*)"/.exec(tag)?.[1];
    if (name !== undefined) fields[name] = unescapeHtml(/\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '');
  }
  return { action: new URL(unescapeHtml(form[1] ?? ''), page), fields };
}

function pageError(html: string): string {
  const message = /<p class="error" role="alert">([^<]*)<\/p>/.exec(html)?.[1];
  return message === undefined ? 'the page refused the submission' : unescapeHtml(message);
}

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function limitValue(value: string | number | readonly string[]): string {
  return typeof value === 'object' ? value.join(' ') : String(value);
}

/** What the user types into a page: credentials on the login page, nothing more on the consent page. */
function fill(fields: Record<string, string>, action: URL, options: LoginOptions): Record<string, string> {
  if (action.pathname.endsWith('/login')) {
    const otp = options.otp ?? (options.mfa === true ? DEV_ONE_TIME_CODE : '');
    return { ...fields, username: options.username, password: options.password ?? DEV_PASSWORD, otp };
  }
  return { ...fields, ...options.consent };
}

/**
 * DEVELOPMENT ONLY. Runs the authorization-code flow with PKCE as a browser would, without one:
 * the authorization request, the login page (password, and the one-time code for a step-up), the
 * consent page (an agent's limits as requested), until the redirect with the code.
 */
export async function authorize(options: LoginOptions): Promise<Authorization> {
  const metadata = await discover(options.issuer ?? DEFAULT_ISSUER);
  const clientId = options.clientId ?? 'web-app';
  const redirectUri = options.redirectUri ?? REDIRECT_URIS[0];
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(16).toString('base64url');
  const request = new URL(metadata.authorization_endpoint);
  // An OpenID Connect login: `openid` always (acr_values needs it), the API scopes as asked.
  const apiScopes = (options.scope ?? findClient(clientId)?.scopes.join(' ') ?? '').split(' ');
  const scope = [...new Set(['openid', ...apiScopes])].filter((name) => name !== '').join(' ');
  const query: Record<string, string> = {
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(options.mfa === true ? { acr_values: ACR_MFA } : {}),
    ...(scope.split(' ').includes('offline_access') ? { prompt: 'consent' } : {}),
    ...Object.fromEntries(
      Object.entries(options.limits ?? {}).map(([name, value]) => [name, limitValue(value)]),
    ),
    ...options.params,
  };
  for (const [name, value] of Object.entries(query)) request.searchParams.set(name, value);

  const jar = new CookieJar();
  let next: { url: URL; body?: Record<string, string> } = { url: request };
  for (let step = 0; step < MAX_STEPS; step++) {
    const res = await fetch(next.url, {
      method: next.body === undefined ? 'GET' : 'POST',
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        ...(next.body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(next.body === undefined ? {} : { body: new URLSearchParams(next.body).toString() }),
    });
    jar.store(res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location !== null) {
      await res.body?.cancel();
      const to = new URL(location, next.url);
      if (`${to.origin}${to.pathname}` === redirectUri) {
        const params = to.searchParams;
        if (params.get('state') !== state) throw new LoginError('authorization_failed', 'state mismatch');
        const error = params.get('error');
        if (error !== null)
          throw new LoginError('authorization_failed', `${error}: ${params.get('error_description') ?? ''}`);
        if (params.get('iss') !== metadata.issuer)
          throw new LoginError('authorization_failed', 'iss mismatch');
        const code = params.get('code');
        if (code === null) throw new LoginError('authorization_failed', 'no code in the redirect');
        return {
          code,
          codeVerifier: verifier,
          redirectUri,
          clientId,
          tokenEndpoint: metadata.token_endpoint,
        };
      }
      next = { url: to };
      continue;
    }
    const html = await res.text();
    if (next.body !== undefined) throw new LoginError('login_failed', `${res.status}: ${pageError(html)}`);
    if (res.status !== 200)
      throw new LoginError('unexpected_response', `${res.status} from ${next.url.pathname}`);
    const form = firstForm(html, next.url);
    next = { url: form.action, body: fill(form.fields, form.action, options) };
  }
  throw new LoginError('unexpected_response', `no code after ${MAX_STEPS} steps`);
}

/** Sends a token request; a confidential client authenticates with HTTP Basic (client_secret_basic). */
export async function tokenRequest(
  tokenEndpoint: string,
  form: Readonly<Record<string, string>>,
  client: { readonly id: string; readonly secret?: string | undefined },
): Promise<TokenResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(form);
  if (client.secret === undefined) body.set('client_id', client.id);
  else {
    const basic = `${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`;
    headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
  }
  const res = await fetch(tokenEndpoint, { method: 'POST', headers, body: body.toString() });
  const json = (await res.json()) as TokenResponse & { error?: string; error_description?: string };
  if (!res.ok)
    throw new LoginError('token_failed', `${json.error ?? res.status}: ${json.error_description ?? ''}`);
  return json;
}

/** Exchanges an authorization code for tokens (with its PKCE verifier). */
export function exchangeCode(authorization: Authorization, clientSecret?: string): Promise<TokenResponse> {
  const form = {
    grant_type: 'authorization_code',
    code: authorization.code,
    redirect_uri: authorization.redirectUri,
    code_verifier: authorization.codeVerifier,
  };
  return tokenRequest(authorization.tokenEndpoint, form, {
    id: authorization.clientId,
    secret: clientSecret,
  });
}

/**
 * DEVELOPMENT ONLY. Logs a user in through the login and consent pages with authorization code +
 * PKCE and returns the token response: `access_token` is opaque, for the gateway to exchange.
 */
export async function login(options: LoginOptions): Promise<TokenResponse> {
  return exchangeCode(await authorize(options), options.clientSecret);
}

/** DEVELOPMENT ONLY. A service client's token by client credentials. */
export async function clientCredentials(options: {
  readonly issuer?: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope?: string;
}): Promise<TokenResponse> {
  const metadata = await discover(options.issuer ?? DEFAULT_ISSUER);
  const scope = options.scope ?? findClient(options.clientId)?.scopes.join(' ') ?? '';
  return tokenRequest(
    metadata.token_endpoint,
    { grant_type: 'client_credentials', scope },
    { id: options.clientId, secret: options.clientSecret },
  );
}
