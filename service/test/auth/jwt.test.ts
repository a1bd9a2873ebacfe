import test from 'ava';
import { createLocalJWKSet } from 'jose';
import { createHmac, createPublicKey } from 'node:crypto';
import { JwtVerifier } from '../../src/auth/jwt-verifier.js';
import { TokenCache } from '../../src/auth/token-cache.js';
import { InvalidTokenError } from '../../src/errors.js';
import { baseClaims, makeKey, sign, ALGORITHMS, AUDIENCE, ISSUER } from '../support/issuer.js';
import { Harness } from '../support/harness.js';

const h = await Harness.start({ cooldownS: 30 });
test.after.always(() => h.stop());

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function unsigned(header: Record<string, unknown>, claims: Record<string, unknown>, signature = ''): string {
  return `${b64(header)}.${b64(claims)}.${signature}`;
}

const BARE = 'Bearer realm="verdict"';

async function expectInvalidToken(t: any, token: string, description?: RegExp): Promise<void> {
  const res = await h.request('GET', '/transactions', { token });
  t.is(res.status, 401, res.text);
  t.is(res.body.code, 'invalid_token');
  t.regex(
    String(res.headers['www-authenticate']),
    /^Bearer realm="verdict", error="invalid_token", error_description="[^"]+"$/,
  );
  if (description !== undefined) t.regex(res.body.detail, description);
}

for (const alg of ALGORITHMS) {
  test(`valid ${alg} token → 200`, async (t) => {
    const res = await h.request('GET', '/transactions', { token: await h.token({}, alg) });
    t.is(res.status, 200, res.text);
    t.deepEqual(res.body.items, []);
  });
}

test('application/at+jwt typ is accepted as at+jwt', async (t) => {
  const token = await sign(h.issuer.key('ES256'), baseClaims(h.nowS), { typ: 'application/at+jwt' });
  t.is((await h.request('GET', '/transactions', { token })).status, 200);
});

test('no Authorization header → 401 with a bare Bearer challenge', async (t) => {
  const res = await h.request('GET', '/transactions');
  t.is(res.status, 401);
  t.is(res.body.code, 'invalid_token');
  t.is(res.headers['www-authenticate'], BARE);
  t.is(res.headers['content-type'], 'application/problem+json');
});

test('Basic credentials → 401 with a bare Bearer challenge', async (t) => {
  const res = await h.request('GET', '/transactions', {
    headers: [['Authorization', 'Basic YWxpY2U6c2VjcmV0']],
  });
  t.is(res.status, 401);
  t.is(res.body.code, 'invalid_token');
  t.is(res.headers['www-authenticate'], BARE);
});

const malformedHeaders: [string, string[]][] = [
  ['Bearer with no token', ['Bearer']],
  ['Bearer with only spaces', ['Bearer    ']],
  ['two tokens in one header', ['Bearer aaa.bbb.ccc ddd.eee.fff']],
  ['two Authorization headers', ['Bearer aaa.bbb.ccc', 'Bearer ddd.eee.fff']],
  ['a token with characters outside b64token', ['Bearer abc"def']],
];
for (const [name, values] of malformedHeaders) {
  test(`${name} → 400 invalid_request`, async (t) => {
    const res = await h.request('GET', '/transactions', {
      headers: values.map((value) => ['Authorization', value] as const),
    });
    t.is(res.status, 400, res.text);
    t.is(res.body.code, 'invalid_request');
    t.regex(String(res.headers['www-authenticate']), /^Bearer realm="verdict", error="invalid_request"/);
  });
}

test('two Authorization headers → 400 even when the first is valid', async (t) => {
  const token = await h.token();
  const res = await h.request('GET', '/transactions', {
    headers: [
      ['Authorization', `Bearer ${token}`],
      ['Authorization', 'Bearer forged.token.here'],
    ],
  });
  t.is(res.status, 400);
  t.is(res.body.code, 'invalid_request');
});

test('token in the query string only → 400 invalid_request, never accepted', async (t) => {
  const res = await h.request('GET', `/transactions?access_token=${await h.token()}`);
  t.is(res.status, 400);
  t.is(res.body.code, 'invalid_request');
  t.regex(res.body.detail, /Authorization header/);
});

test('token in both header and query string → 400 invalid_request', async (t) => {
  const token = await h.token();
  const res = await h.request('GET', `/transactions?access_token=${token}`, { token });
  t.is(res.status, 400);
  t.is(res.body.code, 'invalid_request');
});

test('token in a form body is never read → 401 bare challenge', async (t) => {
  const res = await h.request('POST', '/transactions', {
    rawBody: `access_token=${await h.token()}`,
    headers: [['Content-Type', 'application/x-www-form-urlencoded']],
  });
  t.is(res.status, 401);
  t.is(res.headers['www-authenticate'], BARE);
});

test('garbage token → 401 invalid_token', async (t) => {
  await expectInvalidToken(t, 'not-a-jwt', /malformed/);
  await expectInvalidToken(t, 'aaaa.bbbb.cccc', /malformed/);
});

for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
  test(`alg "${alg}" (unsecured JWT) → 401 invalid_token`, async (t) => {
    const claims = baseClaims(h.nowS);
    await expectInvalidToken(t, unsigned({ alg, typ: 'at+jwt' }, claims));
    await expectInvalidToken(
      t,
      unsigned({ alg, typ: 'at+jwt', kid: h.issuer.key('ES256').kid }, claims, 'AAAA'),
    );
  });
}

test('HS256 signed with the public key as the secret → 401 invalid_token', async (t) => {
  const rsa = h.issuer.key('RS256');
  const header = { alg: 'HS256', typ: 'at+jwt', kid: rsa.kid };
  const signingInput = `${b64(header)}.${b64(baseClaims(h.nowS))}`;
  const pem = createPublicKey({ key: rsa.publicJwk, format: 'jwk' }).export({
    type: 'spki',
    format: 'pem',
  });
  for (const secret of [pem, JSON.stringify(rsa.publicJwk)]) {
    const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
    await expectInvalidToken(t, `${signingInput}.${signature}`, /algorithm is not allowed/);
  }
});

test('a foreign key reusing a known kid → 401 invalid_token', async (t) => {
  const known = h.issuer.key('ES256');
  const foreign = await makeKey('ES256', known.kid);
  await expectInvalidToken(t, await sign(foreign, baseClaims(h.nowS)), /signature/);
});

test('expired token → 401 invalid_token', async (t) => {
  await expectInvalidToken(t, await h.token({ iat: h.nowS - 700, exp: h.nowS - 60 }), /expired/);
});

test('expiry within the clock tolerance is still accepted', async (t) => {
  const res = await h.request('GET', '/transactions', {
    token: await h.token({ iat: h.nowS - 600, exp: h.nowS - 10 }),
  });
  t.is(res.status, 200);
});

test('nbf in the future beyond the tolerance → 401 invalid_token', async (t) => {
  await expectInvalidToken(t, await h.token({ nbf: h.nowS + 120 }), /not valid yet/);
});

test('iat in the future beyond the tolerance → 401 invalid_token', async (t) => {
  await expectInvalidToken(
    t,
    await h.token({ iat: h.nowS + 120, exp: h.nowS + 600 }),
    /issued in the future/,
  );
});

test('lifetime longer than the maximum → 401 invalid_token', async (t) => {
  await expectInvalidToken(t, await h.token({ exp: h.nowS + 3601 }), /lifetime exceeds 3600/);
});

test('wrong issuer → 401 invalid_token', async (t) => {
  await expectInvalidToken(t, await h.token({ iss: 'https://evil.test' }), /iss/);
});

test('issuer differing only by a trailing slash → 401 invalid_token', async (t) => {
  await expectInvalidToken(t, await h.token({ iss: 'https://issuer.test/' }), /iss/);
});

test('wrong audience → 401 invalid_token', async (t) => {
  await expectInvalidToken(t, await h.token({ aud: 'another-api' }), /aud/);
});

test('audience array containing the API → 200', async (t) => {
  const res = await h.request('GET', '/transactions', {
    token: await h.token({ aud: ['other', 'verdict-transactions'] }),
  });
  t.is(res.status, 200);
});

test('typ JWT instead of at+jwt → 401 invalid_token', async (t) => {
  await expectInvalidToken(t, await sign(h.issuer.key('ES256'), baseClaims(h.nowS), { typ: 'JWT' }), /typ/);
});

test('missing typ → 401 invalid_token', async (t) => {
  await expectInvalidToken(
    t,
    await sign(h.issuer.key('ES256'), baseClaims(h.nowS), { typ: undefined }),
    /typ/,
  );
});

test('an OpenID Connect ID token → 401 invalid_token', async (t) => {
  const idToken = await sign(
    h.issuer.key('RS256'),
    { ...baseClaims(h.nowS), aud: 'web-app', nonce: 'n-0S6_WzA2Mj', azp: 'web-app', auth_time: h.nowS },
    { typ: 'JWT' },
  );
  await expectInvalidToken(t, idToken);
});

for (const claim of ['iss', 'aud', 'exp', 'iat', 'jti', 'sub', 'client_id', 'scope']) {
  test(`missing required claim ${claim} → 401 invalid_token`, async (t) => {
    const claims = Object.fromEntries(Object.entries(baseClaims(h.nowS)).filter(([name]) => name !== claim));
    await expectInvalidToken(t, await sign(h.issuer.key('ES256'), claims));
  });
}

test('malformed optional claims (roles not an array) → 401 invalid_token', async (t) => {
  await expectInvalidToken(t, await h.token({ roles: 'admin' }), /roles/);
  await expectInvalidToken(t, await h.token({ agent: { id: 'bot' } }), /agent/);
});

test('unknown crit header → 401 invalid_token', async (t) => {
  const key = h.issuer.key('ES256');
  const header = {
    alg: 'ES256',
    typ: 'at+jwt',
    kid: key.kid,
    crit: ['urn:example:unknown'],
    'urn:example:unknown': 1,
  };
  const signingInput = `${b64(header)}.${b64(baseClaims(h.nowS))}`;
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    key.privateKey,
    new TextEncoder().encode(signingInput),
  );
  const token = `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
  await expectInvalidToken(t, token, /critical/);
});

test('tampered payload → 401 invalid_token', async (t) => {
  const [header, , signature] = (await h.token()).split('.');
  const forged = `${header}.${b64(baseClaims(h.nowS, { sub: 'mallory' }))}.${signature}`;
  await expectInvalidToken(t, forged, /signature/);
});

test('problem bodies never echo the token', async (t) => {
  const token = await h.token({ exp: h.nowS - 3600, iat: h.nowS - 4000 });
  const res = await h.request('GET', '/transactions', { token });
  t.is(res.status, 401);
  t.false(res.text.includes(token));
  t.false(String(res.headers['www-authenticate']).includes(token.slice(20, 60)));
});

test('auth_time later than iat plus the clock tolerance → 401 invalid_token', async (t) => {
  // A step-up claim from the future would satisfy any max_age.
  await expectInvalidToken(
    t,
    await h.token({ acr: 'urn:verdict:acr:mfa', auth_time: h.nowS + 31 }),
    /auth_time/,
  );
  await expectInvalidToken(t, await h.token({ acr: 'urn:verdict:acr:mfa', auth_time: h.nowS + 3600 }));
});

test('auth_time up to iat plus the clock tolerance is accepted', async (t) => {
  for (const authTime of [h.nowS - 600, h.nowS, h.nowS + 30]) {
    const res = await h.request('GET', '/transactions', {
      token: await h.token({ acr: 'urn:verdict:acr:mfa', auth_time: authTime }),
    });
    t.is(res.status, 200, res.text);
  }
});

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

type Segments = readonly [header: string, payload: string, signature: string];

/**
 * Spellings of a valid ES256 token (its signature is 86 characters, 4 unused bits) that jose's
 * lenient decoder reads as the same bytes, or nearly; none is canonical base64url (RFC 7515 §2).
 * Through HTTP, RFC 6750's b64token syntax already refuses some of them as 400 invalid_request;
 * `undefined` marks a spelling no HTTP header can carry.
 */
const NON_CANONICAL: readonly [name: string, spell: (s: Segments) => string, http: 401 | 400 | undefined][] =
  [
    ['"==" padding after the signature', ([a, b, c]) => `${a}.${b}.${c}==`, 401],
    ['one "=" after the signature', ([a, b, c]) => `${a}.${b}.${c}=`, 401],
    ['"=" padding after the header', ([a, b, c]) => `${a}=.${b}.${c}`, 400],
    ['"=" padding after the payload', ([a, b, c]) => `${a}.${b}=.${c}`, 400],
    [
      'stray trailing bits in the signature',
      ([a, b, c]) =>
        `${a}.${b}.${c.slice(0, -1)}${BASE64URL_ALPHABET.charAt(BASE64URL_ALPHABET.indexOf(c.slice(-1)) | 1)}`,
      401,
    ],
    [
      'a signature in the "+" "/" alphabet of base64',
      ([a, b, c]) => `${a}.${b}.${c.replaceAll('-', '+').replaceAll('_', '/')}`,
      401,
    ],
    ['a signature whose length is 1 mod 4', ([a, b, c]) => `${a}.${b}.${c}AAA`, 401],
    ['a space inside the signature', ([a, b, c]) => `${a}.${b}.${c.slice(0, 8)} ${c.slice(8)}`, 400],
    [
      'a line break inside the payload',
      ([a, b, c]) => `${a}.${b.slice(0, 8)}\n${b.slice(8)}.${c}`,
      undefined,
    ],
    ['a fourth segment', ([a, b, c]) => `${a}.${b}.${c}.`, 401],
  ];

/** A valid token whose signature has a "-" or "_", so that its base64 spelling differs. */
async function tokenToRespell(): Promise<Segments> {
  for (;;) {
    const [a = '', b = '', c = ''] = (await h.token()).split('.');
    if (/[-_]/.test(c)) return [a, b, c];
  }
}

/** The harness's keys, checked by a verifier with no key fetching and no transport in front. */
const bareVerifier = new JwtVerifier({
  getKey: createLocalJWKSet({ keys: h.issuer.keys.map((key) => key.publicJwk) }),
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: ALGORITHMS,
  clockToleranceS: 30,
  maxLifetimeS: 3600,
  cache: new TokenCache(),
  now: () => h.clockMs,
});

for (const [name, spell, http] of NON_CANONICAL) {
  test(`non-canonical JWS segment: ${name} → the verifier refuses it as malformed`, async (t) => {
    const segments = await tokenToRespell();
    t.false((await bareVerifier.verify(segments.join('.'))).cached, 'the canonical spelling verifies');
    const error = await t.throwsAsync(bareVerifier.verify(spell(segments)), {
      instanceOf: InvalidTokenError,
    });
    t.is(error.code, 'invalid_token');
    t.is(error.reason, 'malformed');
  });

  if (http === undefined) continue;
  test(`non-canonical JWS segment: ${name} → ${http} ${http === 401 ? 'invalid_token' : 'invalid_request'}`, async (t) => {
    const segments = await tokenToRespell();
    const canonical = await h.request('GET', '/transactions', { token: segments.join('.') });
    t.is(canonical.status, 200, 'the canonical spelling is accepted (and now cached)');
    const res = await h.request('GET', '/transactions', { token: spell(segments) });
    if (http === 401) {
      t.is(res.status, 401, res.text);
      t.is(res.body.code, 'invalid_token');
      t.regex(res.body.detail, /malformed/);
    } else {
      t.is(res.status, 400, res.text);
      t.is(res.body.code, 'invalid_request');
    }
  });
}

test('the stray-bits spelling decodes to the very signature bytes it respells', async (t) => {
  const segments = await tokenToRespell();
  const spell = NON_CANONICAL.find(([name]) => name.startsWith('stray'))![1];
  const strayed = spell(segments).split('.')[2]!;
  t.not(strayed, segments[2]);
  t.deepEqual(Buffer.from(strayed, 'base64url'), Buffer.from(segments[2], 'base64url'));
});
