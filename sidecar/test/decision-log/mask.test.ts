import test from 'ava';
import { maskDecision, parseMaskSpec } from '../../src/decision-log/mask.js';

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
