/**
 * Decision-log masking, as OPA's `erased`: masked values are removed (array elements become `null`)
 * and the JSON pointer of each is listed in the event's `erased`.
 *
 * Two rules always apply, whatever `DECISION_LOG_MASK` says, so that a credential never reaches a sink:
 * - any object key, at any depth of `input` or `result`, that names a credential
 *   ({@link CREDENTIAL_KEY}: token, authorization, password, secret, api key, cookie, credential,
 *   private key, in any case and inside longer names such as `access_token` or `X-Api-Key`);
 * - any string value that looks like a bearer credential ({@link TOKEN_VALUE}: a JWT/JWS/JWE compact
 *   serialisation, or an `Authorization` header value `Bearer …` / `Basic …`).
 *
 * `DECISION_LOG_MASK` adds paths: comma-separated JSON pointers (`/input/environment/ip`) or dotted
 * paths (`input.environment.ip`) starting at `input` or `result`; a `*` segment matches every key or
 * array index at that level.
 */

/** One path to erase: its segments, the first `input` or `result`, `*` matching any key or index. */
export type MaskPath = readonly string[];

/** Key names that could hold a credential; matched anywhere in the name, case-insensitively. */
export const CREDENTIAL_KEY =
  /token|authori[sz]ation|passw(?:or)?d|secret|api[-_]?key|cookie|credential|private[-_]?key/i;

/** String values that are bearer credentials whatever key holds them. */
export const TOKEN_VALUE = /^(?:bearer|basic)\s+\S|^eyJ[\w-]*\.[\w-]*\.[\w-]*(?:\.[\w-]*\.[\w-]*)?$/i;

/** Parses `DECISION_LOG_MASK`; throws an `Error` saying which entry is wrong. */
export function parseMaskSpec(spec: string): MaskPath[] {
  const paths: MaskPath[] = [];
  for (const raw of spec.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const segments = entry.startsWith('/')
      ? entry
          .slice(1)
          .split('/')
          .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
      : entry.split('.');
    if (segments[0] !== 'input' && segments[0] !== 'result')
      throw new Error(`"${entry}" must start at input or result`);
    if (segments.some((s) => s === '')) throw new Error(`"${entry}" has an empty segment`);
    paths.push(Object.freeze(segments));
  }
  return paths;
}

/** What is left of an event's `input` and `result` after masking, and what was erased. */
export interface Masked {
  readonly input: unknown;
  readonly result: unknown;
  /** JSON pointers of everything removed, in the order found. */
  readonly erased: readonly string[];
}

/** Masks copies of `input` and `result` (the originals are never touched). */
export function maskDecision(input: unknown, result: unknown, paths: readonly MaskPath[]): Masked {
  const root: Record<string, unknown> = {};
  if (input !== undefined) root.input = copyJson(input);
  if (result !== undefined) root.result = copyJson(result);
  const erased: string[] = [];
  for (const path of paths) erasePath(root, path, '', erased);
  scrub(root, '', erased);
  return { input: root.input, result: root.result, erased };
}

function copyJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function pointerSegment(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

function erase(parent: Record<string, unknown> | unknown[], key: string, pointer: string, erased: string[]) {
  if (Array.isArray(parent)) parent[Number(key)] = null;
  else Reflect.deleteProperty(parent, key);
  erased.push(pointer);
}

function children(node: unknown): [string, unknown][] {
  if (Array.isArray(node)) return node.map((value, i): [string, unknown] => [String(i), value]);
  if (typeof node === 'object' && node !== null) return Object.entries(node);
  return [];
}

function erasePath(node: unknown, path: MaskPath, at: string, erased: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || typeof node !== 'object' || node === null) return;
  const container = node as Record<string, unknown> | unknown[];
  for (const [key, value] of children(node)) {
    if (head !== '*' && head !== key) continue;
    const pointer = `${at}/${pointerSegment(key)}`;
    if (rest.length === 0) erase(container, key, pointer, erased);
    else erasePath(value, rest, pointer, erased);
  }
}

function scrub(node: unknown, at: string, erased: string[]): void {
  if (typeof node !== 'object' || node === null) return;
  const container = node as Record<string, unknown> | unknown[];
  for (const [key, value] of children(node)) {
    const pointer = `${at}/${pointerSegment(key)}`;
    const credentialKey = !Array.isArray(node) && CREDENTIAL_KEY.test(key);
    if (credentialKey || (typeof value === 'string' && TOKEN_VALUE.test(value)))
      erase(container, key, pointer, erased);
    else scrub(value, pointer, erased);
  }
}
