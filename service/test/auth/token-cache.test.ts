import test from 'ava';
import type { AccessTokenClaims } from '../../src/auth/claims.js';
import { TokenCache } from '../../src/auth/token-cache.js';

const claims = { sub: 'a' } as AccessTokenClaims;

test('keys are the SHA-256 of the token, never the token', (t) => {
  const key = TokenCache.keyOf('header.payload.signature');
  t.is(key.length, 43);
  t.false(key.includes('payload'));
});

test('an entry is gone at its expiry time', (t) => {
  const cache = new TokenCache(10);
  cache.set('k', claims, 1000);
  t.is(cache.get('k', 999), claims);
  t.is(cache.get('k', 1000), undefined);
  t.is(cache.size, 0);
});

test('the cache is bounded and evicts the least recently used entry', (t) => {
  const cache = new TokenCache(2);
  cache.set('a', claims, 10_000);
  cache.set('b', claims, 10_000);
  cache.get('a', 0);
  cache.set('c', claims, 10_000);
  t.is(cache.size, 2);
  t.is(cache.get('b', 0), undefined);
  t.is(cache.get('a', 0), claims);
  t.is(cache.get('c', 0), claims);
});
