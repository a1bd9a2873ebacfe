import { MASKED } from '../decision-log/mask.js';

/** What {@link withValue} puts to remove a key (an array element becomes `null`, as masking does). */
export const ABSENT: unique symbol = Symbol('absent');

/**
 * The segments of a decision-log `erased` pointer below `root` (`/input/resource/owner` →
 * `['resource', 'owner']` for root `input`); `undefined` when it is not below `root` or names a
 * key that masking itself hid (`[masked]`), which cannot be put back.
 */
export function pointerBelow(pointer: string, root: 'input' | 'result'): string[] | undefined {
  const prefix = `/${root}`;
  if (pointer !== prefix && !pointer.startsWith(`${prefix}/`)) return undefined;
  const rest = pointer.slice(prefix.length);
  const segments = rest === '' ? [] : rest.slice(1).split('/');
  if (segments.includes(MASKED)) return undefined;
  return segments.map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/**
 * `value` with the node at `segments` replaced by `next` ({@link ABSENT} removes it), copying only
 * the containers along the path; a path that does not exist leaves `value` as it is.
 */
export function withValue(value: unknown, segments: readonly string[], next: unknown): unknown {
  if (segments.length === 0) return next === ABSENT ? undefined : next;
  const [head = '', ...rest] = segments;
  if (Array.isArray(value)) {
    const index = Number(head);
    if (!Number.isInteger(index) || index < 0 || index >= value.length) return value;
    const copy: unknown[] = [...(value as unknown[])];
    const child = rest.length === 0 ? (next === ABSENT ? null : next) : withValue(copy[index], rest, next);
    copy[index] = child;
    return copy;
  }
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if (rest.length > 0) {
    if (!Object.hasOwn(object, head)) return value;
    return { ...object, [head]: withValue(object[head], rest, next) };
  }
  const copy: Record<string, unknown> = { ...object };
  if (next === ABSENT) Reflect.deleteProperty(copy, head);
  else
    Object.defineProperty(copy, head, { value: next, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** The value at `segments`, or `undefined`. */
export function valueAt(value: unknown, segments: readonly string[]): unknown {
  let node = value;
  for (const segment of segments) {
    if (typeof node !== 'object' || node === null) return undefined;
    if (!Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}
