/**
 * Decision-log masking, as OPA's `erased`: masked values are removed (array elements become `null`)
 * and the JSON pointer of each is listed in the event's `erased`.
 *
 * Two rules always apply, whatever `DECISION_LOG_MASK` says, so that a credential never reaches a sink:
 * - any object key, at any depth of `input` or `result`, that names a credential
 *   ({@link CREDENTIAL_KEY}: token, authorization, password, secret, api key, cookie, credential,
 *   private key, in any case and inside longer names such as `access_token` or `X-Api-Key`);
 * - any string value (or object key) that contains a credential anywhere ({@link containsCredential}):
 *   a JWS/JWT or JWE compact serialisation, or a `Bearer`, `DPoP` or `Basic` credential.
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

/** What replaces a credential in free text ({@link maskText}) and in an `erased` pointer. */
export const MASKED = '[masked]';

/** Runs of base64url characters; a JOSE header is one that holds `eyJ` (`{"`) with more after it. */
const BASE64URL_RUN = /[\w-]+/g;

/** What must follow a JOSE header for a compact JWS (three segments) or JWE (five): `.payload.`. */
const AFTER_JOSE_HEADER = /=*\.[\w-]*=*\./y;

/** An authorization scheme whose credential follows after whitespace (RFC 6750, RFC 9449, RFC 7617). */
const SCHEME = /(bearer|dpop|basic)(?=\s+(\S+))/dgi;

/** What follows `basic` in ordinary text ("basic groceries."): one word of letters, at most 19 long. */
const PLAIN_WORD = /^[A-Za-z][a-z]{0,18}[.,;:!?'")\]]*$/;

/**
 * Where `text` holds a credential, as disjoint `[start, end)` ranges in order: each JWS/JWT or JWE
 * compact serialisation (found by its `eyJ…` header, anywhere, even glued to other characters) and
 * each credential after `Bearer` or `DPoP` (any word) or `Basic` (any word but a plain one).
 * Linear in the length of `text`, whatever it holds.
 */
function credentialSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  for (const run of text.matchAll(BASE64URL_RUN)) {
    const header = run[0].indexOf('eyJ');
    if (header === -1 || header > run[0].length - 4) continue;
    AFTER_JOSE_HEADER.lastIndex = run.index + run[0].length;
    if (AFTER_JOSE_HEADER.test(text)) spans.push([run.index + header, AFTER_JOSE_HEADER.lastIndex]);
  }
  for (const match of text.matchAll(SCHEME)) {
    const credential = match.indices?.[2];
    if (credential === undefined) continue;
    if (match[1]?.toLowerCase() === 'basic' && PLAIN_WORD.test(match[2] ?? '')) continue;
    spans.push(credential);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last !== undefined && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([...span]);
  }
  return merged;
}

/** True when `value` holds a JWS/JWT, a JWE or a `Bearer`/`DPoP`/`Basic` credential anywhere in it. */
export function containsCredential(value: string): boolean {
  return credentialSpans(value).length > 0;
}

/**
 * `text` with every whitespace-separated word that holds a credential replaced by {@link MASKED}: for
 * free text such as an error message, which cannot be erased without losing what it says.
 */
export function maskText(text: string): string {
  const spans = credentialSpans(text);
  if (spans.length === 0) return text;
  let next = 0;
  return text.replace(/\S+/g, (word: string, offset: number) => {
    while ((spans[next]?.[1] ?? Infinity) <= offset) next++;
    const span = spans[next];
    return span !== undefined && span[0] < offset + word.length ? MASKED : word;
  });
}

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

/** A key as a JSON pointer segment; a key that holds a credential is listed as {@link MASKED}. */
function pointerSegment(key: string): string {
  return maskText(key).replaceAll('~', '~0').replaceAll('/', '~1');
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
    const credentialKey = !Array.isArray(node) && (CREDENTIAL_KEY.test(key) || containsCredential(key));
    if (credentialKey || (typeof value === 'string' && containsCredential(value)))
      erase(container, key, pointer, erased);
    else scrub(value, pointer, erased);
  }
}
