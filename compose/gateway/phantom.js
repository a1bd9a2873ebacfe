// The phantom-token exchange of the Verdict gateway, for njs 0.7.9 (Debian bookworm's
// libnginx-mod-http-js). Clients send opaque access tokens; the gateway introspects each one at the
// authorization server with `Accept: application/jwt`, receives the RFC 9068 JWT minted for the API,
// and forwards only that JWT upstream. nginx caches the answer (proxy_cache keyed by the token's
// SHA-256, `X-Accel-Expires` never past the JWT's `exp`): njs 0.7.9 keeps no state between requests
// and has no js_shared_dict_zone (njs 0.8.0).
//
// Fails closed: an authorization server that cannot be reached or answers 5xx is a 503, an answer
// that is not a usable JWT a 502 — never a pass-through. No token, JWT or secret is ever logged.
/* global ngx */
/* eslint no-unused-vars: ['error', { caughtErrors: 'none' }] -- njs 0.7.9 has no optional catch binding */
import crypto from 'crypto';
import fs from 'fs';

/** RFC 6750 §2.1 b64token, as the service's bearer parser accepts it. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** A compact JWS or JWE: a JWT, which a client may never present to the gateway. */
const COMPACT_JOSE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){2}(\.[A-Za-z0-9_-]*){0,2}$/;
/** The query-string token of RFC 6750 §2.3, which the API refuses. */
const QUERY_TOKEN = /(^|&)access_token=/;

/** Details of the RFC 6750 `invalid_request` refusals, worded as the service words them. */
const INVALID_REQUEST = {
  duplicate: 'send exactly one Authorization header',
  query: 'access tokens are accepted only in the Authorization header, never in the query string',
  both: 'send the access token in one place only: the Authorization header',
  empty: 'the Bearer scheme needs a token',
  spaces: 'send exactly one bearer token',
  charset: 'the bearer token has characters RFC 6750 does not allow',
};

/** Each answer the gateway gives itself: status, problem code, title, detail. */
const PROBLEMS = {
  missing: [
    401,
    'invalid_token',
    'Authentication required',
    'send an OAuth access token in the Authorization header: "Bearer <token>"',
  ],
  jwt: [
    401,
    'invalid_token',
    'Invalid access token',
    'send the opaque access token the authorization server issued; the gateway never accepts a JWT from a client',
  ],
  inactive: [
    401,
    'invalid_token',
    'Invalid access token',
    'the access token is not active: unknown, expired or revoked',
  ],
  unavailable: [
    503,
    'authorization_server_unavailable',
    'Authorization server unavailable',
    'the authorization server cannot check the access token; try again shortly',
  ],
  bad_answer: [
    502,
    'authorization_server_error',
    'Authorization server error',
    'the authorization server gave an answer the gateway cannot use',
  ],
  rate_limited: [429, 'rate_limited', 'Too many requests', 'retry after 1 seconds'],
  service_unavailable: [
    503,
    'service_unavailable',
    'Service unavailable',
    'the API cannot be reached; try again shortly',
  ],
  bad_request: [400, 'invalid_request', 'Invalid request', 'the request is malformed'],
  payload_too_large: [413, 'payload_too_large', 'Payload too large', 'the body must not exceed 1 MiB'],
};

/** The Authorization header values of the request, every one (nginx keeps only the first). */
function authorizationHeaders(r) {
  const values = [];
  const raw = r.rawHeadersIn;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i][0].toLowerCase() === 'authorization') values.push(raw[i][1]);
  }
  return values;
}

/**
 * The bearer token of the request, or `!<refusal>` when there is none that may be exchanged:
 * `!missing`, `!jwt`, `!invalid_request:<kind>`. Mirrors the service's bearer parser.
 */
function bearer(r) {
  const values = authorizationHeaders(r);
  const tokenInQuery = QUERY_TOKEN.test(r.variables.phantom_args || '');
  if (values.length > 1) return '!invalid_request:duplicate';
  const match =
    values.length === 0
      ? null
      : /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:[ \t]+(.*))?$/.exec(values[0].trim());
  if (match === null || match[1].toLowerCase() !== 'bearer')
    return tokenInQuery ? '!invalid_request:query' : '!missing';
  if (tokenInQuery) return '!invalid_request:both';
  const credentials = (match[2] || '').trim();
  if (credentials === '') return '!invalid_request:empty';
  if (/\s/.test(credentials)) return '!invalid_request:spaces';
  if (!B64TOKEN.test(credentials)) return '!invalid_request:charset';
  if (COMPACT_JOSE.test(credentials)) return '!jwt';
  return credentials;
}

/** `js_set $phantom_token`: the token to exchange, or a `!refusal` marker. */
function token(r) {
  return bearer(r);
}

/** `js_set $phantom_key`: the cache key, the token's SHA-256 (a marker is never cached). */
function cacheKey(r) {
  const value = bearer(r);
  if (value.charAt(0) === '!') return value;
  return crypto.createHash('sha256').update(value).digest('hex');
}

/** The auth subrequest's answer to a refusal: 401 (so auth_request passes it on), never cached. */
function deny(r, kind) {
  r.headersOut['X-Phantom-Error'] = kind;
  r.headersOut['X-Accel-Expires'] = '0';
  r.return(401, '');
}

function base64UrlJson(segment) {
  return JSON.parse(Buffer.from(segment, 'base64url').toString());
}

/**
 * Checks the JWT the authorization server answered with, without its signature (the service
 * verifies that): RFC 9068 `typ`, the API's audience, a numeric `exp`. Returns its `exp`, or
 * undefined for an answer the gateway cannot use.
 */
function jwtExpiry(jwt, audience) {
  const parts = jwt.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[0] + parts[1] + parts[2])) return undefined;
  let header;
  let payload;
  try {
    header = base64UrlJson(parts[0]);
    payload = base64UrlJson(parts[1]);
  } catch (e) {
    return undefined;
  }
  if (header === null || typeof header !== 'object' || payload === null || typeof payload !== 'object')
    return undefined;
  const typ = String(header.typ || '').toLowerCase();
  if (typ !== 'at+jwt' && typ !== 'application/at+jwt') return undefined;
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (aud.indexOf(audience) < 0) return undefined;
  if (typeof payload.exp !== 'number' || !isFinite(payload.exp)) return undefined;
  return Math.floor(payload.exp);
}

function clientSecret(r) {
  try {
    return fs.readFileSync(r.variables.phantom_client_secret_file).toString().trim();
  } catch (e) {
    return '';
  }
}

/**
 * `js_content` of the internal introspection server: exchanges the opaque token in
 * `X-Phantom-Token` for its JWT. 200 with `X-Phantom-Jwt` and `X-Accel-Expires: @<expiry>`, or
 * 401 with `X-Phantom-Error` naming the refusal.
 */
async function introspect(r) {
  const given = r.headersIn['X-Phantom-Token'] || '!missing';
  if (given.charAt(0) === '!') return deny(r, given.slice(1));
  const secret = clientSecret(r);
  if (secret === '') {
    ngx.log(
      ngx.ERR,
      `phantom: the gateway client secret file ${r.variables.phantom_client_secret_file} cannot be read`,
    );
    return deny(r, 'unavailable');
  }
  const client = `${encodeURIComponent(r.variables.phantom_client_id)}:${encodeURIComponent(secret)}`;
  let reply;
  let body;
  try {
    reply = await ngx.fetch(r.variables.phantom_introspection_url, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(client).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/jwt',
        'X-Request-Id': r.headersIn['X-Request-Id'] || '',
      },
      body: `token=${encodeURIComponent(given)}&token_type_hint=access_token`,
    });
    body = await reply.text();
  } catch (e) {
    ngx.log(ngx.WARN, `phantom: the authorization server cannot be reached: ${e.message}`);
    return deny(r, 'unavailable');
  }
  if (reply.status >= 500) {
    ngx.log(ngx.WARN, `phantom: the authorization server answered ${reply.status}`);
    return deny(r, 'unavailable');
  }
  const type = (reply.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase();
  if (reply.status === 200 && type === 'application/json') {
    let answer;
    try {
      answer = JSON.parse(body);
    } catch (e) {
      answer = undefined;
    }
    if (answer !== null && typeof answer === 'object' && answer.active === false) return deny(r, 'inactive');
  }
  if (reply.status !== 200 || type !== 'application/jwt') {
    ngx.log(ngx.ERR, `phantom: unusable introspection answer: status ${reply.status}, type "${type}"`);
    return deny(r, 'bad_answer');
  }
  const jwt = body.trim();
  const exp = jwtExpiry(jwt, r.variables.phantom_audience);
  if (exp === undefined) {
    ngx.log(ngx.ERR, 'phantom: the introspection answer is not an RFC 9068 access token for this API');
    return deny(r, 'bad_answer');
  }
  const now = Math.floor(Date.now() / 1000);
  if (exp <= now) return deny(r, 'inactive');
  const cap = Number(r.variables.phantom_cache_max_s) || 0;
  r.headersOut['X-Phantom-Jwt'] = jwt;
  r.headersOut['X-Accel-Expires'] = `@${Math.min(exp, now + cap)}`;
  r.return(200, '');
}

/** RFC 6750 §3 auth-param values keep to the characters a quoted-string may hold unescaped. */
function quoted(value) {
  return `"${String(value).replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '')}"`;
}

/**
 * The gateway's own RFC 9457 problem answer, in the service's shape. `challenge` is `bare` (no
 * credentials: no error code, RFC 6750 §3.1), `error` (the code and detail as auth-params) or none;
 * every challenge names the resource metadata (RFC 9728 §5.1).
 */
function problem(r, status, code, title, detail, challenge) {
  if (challenge === 'bare' || challenge === 'error') {
    const params = [`realm=${quoted('verdict')}`];
    if (challenge === 'error') {
      params.push(`error=${quoted(code)}`);
      params.push(`error_description=${quoted(detail)}`);
    }
    params.push(`resource_metadata=${quoted(r.variables.phantom_resource_metadata)}`);
    r.headersOut['WWW-Authenticate'] = `Bearer ${params.join(', ')}`;
  }
  if (status === 503) r.headersOut['Retry-After'] = code === 'service_unavailable' ? '1' : '5';
  if (status === 429) r.headersOut['Retry-After'] = '1';
  r.headersOut['Content-Type'] = 'application/problem+json';
  const body = {
    type: `urn:verdict:problem:${code}`,
    title: title,
    status: status,
    detail: detail,
    code: code,
  };
  body.request_id = r.variables.verdict_request_id;
  r.return(status, JSON.stringify(body));
}

function answer(r, kind) {
  const known = PROBLEMS[kind];
  const challenge = kind === 'missing' ? 'bare' : known[0] === 401 ? 'error' : 'none';
  return problem(r, known[0], known[1], known[2], known[3], challenge);
}

/** `js_content` of `@phantom_refused`: the problem for the refusal the auth subrequest named. */
function refused(r) {
  const kind = r.variables.phantom_error || '';
  const invalid = INVALID_REQUEST[kind.slice('invalid_request:'.length)];
  if (kind.indexOf('invalid_request:') === 0 && invalid !== undefined)
    return problem(r, 400, 'invalid_request', 'Invalid request', invalid, 'error');
  // No refusal named: the auth subrequest itself failed. Never an allow.
  return answer(r, kind in PROBLEMS ? kind : 'unavailable');
}

/** `js_content` of `@rate_limited`, `@service_unavailable`, `@bad_request`, `@payload_too_large`. */
function rateLimited(r) {
  return answer(r, 'rate_limited');
}

function serviceUnavailable(r) {
  return answer(r, 'service_unavailable');
}

function badRequest(r) {
  return answer(r, 'bad_request');
}

function payloadTooLarge(r) {
  return answer(r, 'payload_too_large');
}

export default {
  token,
  cacheKey,
  introspect,
  refused,
  rateLimited,
  serviceUnavailable,
  badRequest,
  payloadTooLarge,
};
