import type { IncomingMessage } from 'node:http';
import { InvalidAuthorizationRequestError, MissingCredentialsError } from '../errors.js';

/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

const AUTHORIZATION = 'authorization';

/** Where the query string may carry a token that RFC 6750 §2.3 allows and this API refuses. */
const QUERY_TOKEN = /(?:^|&)access_token=/;

/**
 * Extracts the bearer token from the raw request, exactly as RFC 6750 §2.1 allows and nothing
 * more. Raw headers are read because Node keeps only the first of several `Authorization` headers.
 */
export function extractBearerToken(req: IncomingMessage): string {
  const values: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    // The length first: no lower-cased copy of every other header's name.
    if (name.length === AUTHORIZATION.length && name.toLowerCase() === AUTHORIZATION)
      values.push(raw[i + 1] ?? '');
  }
  const url = req.url ?? '';
  const queryAt = url.indexOf('?');
  const tokenInQuery = queryAt >= 0 && QUERY_TOKEN.test(url.slice(queryAt + 1).split('?', 1)[0] ?? '');
  if (values.length > 1) throw new InvalidAuthorizationRequestError('send exactly one Authorization header');
  const header = values[0];
  if (header === undefined) {
    if (tokenInQuery) {
      throw new InvalidAuthorizationRequestError(
        'access tokens are accepted only in the Authorization header, never in the query string',
      );
    }
    throw new MissingCredentialsError();
  }
  const match = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:[ \t]+(.*))?$/.exec(header.trim());
  const scheme = match?.[1];
  if (scheme?.toLowerCase() !== 'bearer') {
    if (tokenInQuery) {
      throw new InvalidAuthorizationRequestError(
        'access tokens are accepted only in the Authorization header, never in the query string',
      );
    }
    throw new MissingCredentialsError();
  }
  if (tokenInQuery) {
    throw new InvalidAuthorizationRequestError(
      'send the access token in one place only: the Authorization header',
    );
  }
  const credentials = (match?.[2] ?? '').trim();
  if (credentials === '') throw new InvalidAuthorizationRequestError('the Bearer scheme needs a token');
  if (/\s/.test(credentials)) throw new InvalidAuthorizationRequestError('send exactly one bearer token');
  if (!B64TOKEN.test(credentials)) {
    throw new InvalidAuthorizationRequestError('the bearer token has characters RFC 6750 does not allow');
  }
  return credentials;
}
