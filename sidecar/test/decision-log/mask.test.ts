import test from 'ava';
import { containsCredential, maskDecision, maskText, parseMaskSpec } from '../../src/decision-log/mask.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

test('keys that name a credential are erased at any depth of input and result, with their JSON pointers', (t) => {
  const input = {
    subject: { claims: { sub: 'alice', access_token: 'x', jti: 'id-1' } },
    headers: { Authorization: 'y', 'X-Api-Key': 'z', Cookie: 'c' },
    list: [{ password: 'p', keep: 1 }],
    client_secret: 's',
  };
  const masked = maskDecision(input, { refresh_token: 'r', allow: true }, []);
  t.deepEqual(masked.input, {
    subject: { claims: { sub: 'alice', jti: 'id-1' } },
    headers: {},
    list: [{ keep: 1 }],
  });
  t.deepEqual(masked.result, { allow: true });
  t.deepEqual(masked.erased, [
    '/input/subject/claims/access_token',
    '/input/headers/Authorization',
    '/input/headers/X-Api-Key',
    '/input/headers/Cookie',
    '/input/list/0/password',
    '/input/client_secret',
    '/result/refresh_token',
  ]);
});

test('token-like values (JWT, "Bearer …", "Basic …") are erased whatever key holds them; array elements become null', (t) => {
  const masked = maskDecision(
    { note: JWT, h: 'Bearer abc', b: 'basic dXNlcg==', list: ['ok', JWT], plain: 'eyJ-not-a-jwt' },
    undefined,
    [],
  );
  t.deepEqual(masked.input, { list: ['ok', null], plain: 'eyJ-not-a-jwt' });
  t.deepEqual(masked.erased, ['/input/note', '/input/h', '/input/b', '/input/list/1']);
  t.is(masked.result, undefined);
});

/** RFC 7516's JWE example (five segments) and a `dir` JWE (empty encrypted key). */
const JWE =
  'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jvQRb7j7_.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ';
const JWE_DIR =
  'eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYA.XFBoMYUZodetZdvTiFvSkQ';

/** String values holding a credential somewhere: each must be erased, under any key. */
const CREDENTIAL_SHAPES: readonly (readonly [string, string])[] = [
  ['a JWT alone', JWT],
  ['a JWT after spaces', `  ${JWT}`],
  ['a JWT after a word', `x ${JWT}`],
  ['a JWT before a word', `${JWT} x`],
  ['a JWT after token=', `token=${JWT}`],
  ['a JWT in a URL fragment', `https://app.example/cb#access_token=${JWT}&state=s1`],
  ['a JWT in a URL path', `https://app.example/session/${JWT}`],
  ['a JWT in quotes', `cannot parse "${JWT}" as RFC 3339`],
  ['a JWT glued to other characters', `sess_${JWT}`],
  ['a JWT on a later line', `first line\nsecond ${JWT}`],
  ['an unsecured JWT (empty signature)', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.'],
  ['a JWT with base64 padding', 'eyJhbGciOiJSUzI1NiJ9=.eyJzdWIiOiJhIn0=.c2ln'],
  ['a JWE (five segments)', JWE],
  ['a dir JWE (empty encrypted key)', JWE_DIR],
  ['a JWE after a word', `enc ${JWE}`],
  ['DPoP <jwt>', `DPoP ${JWT}`],
  ['DPoP <opaque> (RFC 9449)', 'DPoP Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU'],
  ['Bearer <jwt>', `Bearer ${JWT}`],
  ['Bearer <opaque> (RFC 6750)', 'Bearer mF_9.B5f-4.1JqM'],
  ['bearer in lower case, a tab before the token', 'bearer\tabc'],
  ['BEARER in upper case', 'BEARER abc'],
  ['a header line', 'Authorization: Bearer abc123'],
  ['a Bearer credential inside a sentence', 'retried with Bearer opaque-token-1 twice'],
  ['Basic <base64> (RFC 7617)', 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='],
  ['basic in lower case', 'basic dXNlcjpwYXNz'],
  ['Basic user:pass unencoded', 'Basic user:pass'],
  ['Basic after a word', 'sent Basic dXNlcg== again'],
  ['Basic with a long lower-case credential', 'Basic abcdefghijklmnopqrstuvwxyz'],
  // `Bearer` and `DPoP` are not ordinary words: any word after them is taken as a credential.
  ['Bearer followed by an ordinary word', 'the bearer of this card'],
];

test('every credential shape is erased wherever it is in input or result', (t) => {
  for (const [name, value] of CREDENTIAL_SHAPES) {
    const masked = maskDecision(
      { note: value, deep: { list: ['keep', value] } },
      { reasons: [{ code: 'x', message: value }] },
      [],
    );
    t.deepEqual(masked.input, { deep: { list: ['keep', null] } }, name);
    t.deepEqual(masked.result, { reasons: [{ code: 'x' }] }, name);
    t.deepEqual(masked.erased, ['/input/note', '/input/deep/list/1', '/result/reasons/0/message'], name);
    t.false(JSON.stringify(masked).includes(value.trim()), name);
  }
});

/** Ordinary strings that must reach the log as they are. */
const ORDINARY: readonly string[] = [
  'basic groceries',
  'Basic Groceries',
  'we bought basic groceries.',
  'basic: groceries',
  'Basically fine',
  'Bearer',
  'the word bearer',
  'bearer-token rotation',
  'DPoP',
  'groceries',
  'eyJ-not-a-jwt',
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0',
  'eyJ..',
  'v1.2.3',
  'a.b.c',
  'alice@example.com',
  'https://app.example/transactions/tx-1?page=2',
  '2026-11-23T10:00:00Z',
  'urn:verdict:acr:mfa',
];

test('ordinary strings are kept, and nothing is erased', (t) => {
  for (const value of ORDINARY) {
    const masked = maskDecision({ note: value }, { message: value }, []);
    t.deepEqual(masked.input, { note: value }, value);
    t.deepEqual(masked.result, { message: value }, value);
    t.deepEqual(masked.erased, [], value);
  }
});

test('a key that holds a credential is erased, and its pointer in erased is masked too', (t) => {
  const masked = maskDecision({ sessions: { [JWT]: { ip: '203.0.113.7' }, other: 1 } }, undefined, [
    ['input', 'sessions', '*', 'ip'],
  ]);
  t.deepEqual(masked.input, { sessions: { other: 1 } });
  t.deepEqual(masked.erased, ['/input/sessions/[masked]/ip', '/input/sessions/[masked]']);
  t.false(JSON.stringify(masked).includes(JWT));
});

test('maskText masks each word holding a credential and keeps the rest of the text', (t) => {
  t.is(
    maskText(`time.parse_rfc3339_ns: cannot parse "${JWT}" as RFC 3339`),
    'time.parse_rfc3339_ns: cannot parse [masked] as RFC 3339',
  );
  t.is(maskText(`unknown time zone DPoP ${JWT}`), 'unknown time zone DPoP [masked]');
  t.is(maskText('Basic dXNlcg== and basic groceries'), 'Basic [masked] and basic groceries');
  t.is(maskText('nothing to mask here'), 'nothing to mask here');
  t.true(containsCredential(`x ${JWE}`));
  t.false(containsCredential('basic groceries'));
});

test('masking time is linear: adversarial strings a megabyte long are scanned at once', (t) => {
  const started = performance.now();
  for (const value of ['eyJ'.repeat(350_000), 'eyJa='.repeat(200_000), `bearer${' '.repeat(1_000_000)}`])
    t.false(containsCredential(value));
  t.true(containsCredential(`${'x '.repeat(500_000)}Bearer abc`));
  t.true(performance.now() - started < 2_000);
});

test('DECISION_LOG_MASK paths (pointer or dotted, * wildcard) are erased too; the originals are untouched', (t) => {
  const input = {
    environment: { ip: '203.0.113.7', now: 'n' },
    resources: [
      { owner: 'a', id: 1 },
      { owner: 'b', id: 2 },
    ],
  };
  const paths = parseMaskSpec('/input/environment/ip, input.resources.*.owner');
  const masked = maskDecision(input, undefined, paths);
  t.deepEqual(masked.input, { environment: { now: 'n' }, resources: [{ id: 1 }, { id: 2 }] });
  t.deepEqual(masked.erased, [
    '/input/environment/ip',
    '/input/resources/0/owner',
    '/input/resources/1/owner',
  ]);
  t.is(input.environment.ip, '203.0.113.7');
});

test('DECISION_LOG_MASK entries must start at input or result and have no empty segment', (t) => {
  t.deepEqual(parseMaskSpec(''), []);
  t.deepEqual(parseMaskSpec('/input/a~1b/c~0d'), [['input', 'a/b', 'c~d']]);
  t.throws(() => parseMaskSpec('subject.claims'), { message: /must start at input or result/ });
  t.throws(() => parseMaskSpec('input..x'), { message: /empty segment/ });
});
