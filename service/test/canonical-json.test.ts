import test from 'ava';
import { canonicalJson } from '../src/canonical-json.js';

test('RFC 8785 examples: sorted members, ECMAScript numbers, no whitespace', (t) => {
  t.is(
    canonicalJson({ b: [1e21, 0.5, -0, 10], a: { z: null, y: true }, '€': 'x', '\r': 'cr' }),
    '{"\\r":"cr","a":{"y":true,"z":null},"b":[1e+21,0.5,0,10],"€":"x"}',
  );
  t.is(canonicalJson('\u2028 "q"'), '"\u2028 \\"q\\""');
});

test('non-JSON values are refused', (t) => {
  t.throws(() => canonicalJson(Number.NaN), { instanceOf: TypeError });
  t.throws(() => canonicalJson(() => 1), { instanceOf: TypeError });
});
