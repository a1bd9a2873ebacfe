import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';

/**
 * File digests exactly as OPA computes them for `.signatures.json` (bundle/hash.go, bundle/verify.go).
 *
 * Structured files — by base name `data.json`, `data.yaml`, `.manifest` — are hashed over a canonical
 * form of their JSON value: objects as `{` + keys in byte order, each `"key":value`, comma-separated +
 * `}`; arrays as `[` + values + `]`; strings and keys as Go's `encoding/json` writes them (HTML not
 * escaped, `\u2028`/`\u2029` escaped, invalid UTF-16 as U+FFFD); numbers as their literal text (OPA
 * decodes with `UseNumber`, so `1.50` stays `1.50`). Every other file is hashed over its bytes.
 * For `data.yaml` the YAML value is canonicalised with JavaScript number formatting, which matches OPA
 * for the integers and plain decimals bundle data uses.
 */

/** Hash algorithms accepted in a signature's file list; OPA's weaker ones (MD5, SHA-1, SHA-224) are refused. */
export const FILE_HASH_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ['SHA-256', 'sha256'],
  ['SHA-384', 'sha384'],
  ['SHA-512', 'sha512'],
]);

const STRUCTURED = new Set(['data.json', 'data.yaml', '.manifest']);

/** Whether OPA hashes the file at `path` (a bundle path, `/a/b/data.json`) over its canonical JSON. */
export function isStructuredFile(path: string): boolean {
  return STRUCTURED.has(path.slice(path.lastIndexOf('/') + 1));
}

/** The hex digest of a bundle file as OPA's signer computes it; throws when a structured file is not parseable. */
export function bundleFileDigest(path: string, bytes: Buffer, algorithm: string): string {
  const nodeAlgorithm = FILE_HASH_ALGORITHMS.get(algorithm);
  if (nodeAlgorithm === undefined) throw new Error(`unsupported file hash algorithm ${algorithm}`);
  const hash = createHash(nodeAlgorithm);
  if (!isStructuredFile(path)) return hash.update(bytes).digest('hex');
  const text = bytes.toString('utf8');
  const canonical = path.endsWith('.yaml') ? canonicalValue(parseYaml(text)) : canonicalJson(text);
  return hash.update(canonical, 'utf8').digest('hex');
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** A string as Go's encoding/json writes it with HTML escaping off. */
export function goString(value: string): string {
  return JSON.stringify(
    value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'),
  )
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

/** Canonical form of a parsed value (numbers formatted by JavaScript). */
export function canonicalValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalValue).join(',')}]`;
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => byteOrder(a, b));
    return `{${entries.map(([key, v]) => `${goString(key)}:${canonicalValue(v)}`).join(',')}}`;
  }
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new Error('value is not JSON');
  return text;
}

/** Canonical form of JSON text, number literals kept as written; throws on malformed JSON. */
export function canonicalJson(text: string): string {
  const parser = new CanonicalParser(text);
  const result = parser.value();
  parser.end();
  return result;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class CanonicalParser {
  #at = 0;

  constructor(private readonly text: string) {}

  value(): string {
    this.#space();
    const c = this.text[this.#at];
    if (c === '{') return this.#object();
    if (c === '[') return this.#array();
    if (c === '"') return goString(this.#string());
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.#at)) {
        this.#at += word.length;
        return word;
      }
    }
    NUMBER.lastIndex = this.#at;
    const number = NUMBER.exec(this.text);
    if (number === null) throw this.#error('a value');
    this.#at += number[0].length;
    return number[0];
  }

  end(): void {
    this.#space();
    if (this.#at !== this.text.length) throw this.#error('the end of the document');
  }

  #object(): string {
    this.#at += 1;
    const members = new Map<string, string>();
    this.#space();
    if (this.text[this.#at] === '}') {
      this.#at += 1;
      return '{}';
    }
    for (;;) {
      this.#space();
      if (this.text[this.#at] !== '"') throw this.#error('a key');
      const key = this.#string();
      this.#expect(':');
      members.set(key, this.value());
      this.#space();
      if (this.text[this.#at] === ',') {
        this.#at += 1;
        continue;
      }
      this.#expect('}');
      break;
    }
    const sorted = [...members].sort(([a], [b]) => byteOrder(a, b));
    return `{${sorted.map(([key, v]) => `${goString(key)}:${v}`).join(',')}}`;
  }

  #array(): string {
    this.#at += 1;
    const items: string[] = [];
    this.#space();
    if (this.text[this.#at] === ']') {
      this.#at += 1;
      return '[]';
    }
    for (;;) {
      items.push(this.value());
      this.#space();
      if (this.text[this.#at] === ',') {
        this.#at += 1;
        continue;
      }
      this.#expect(']');
      return `[${items.join(',')}]`;
    }
  }

  #string(): string {
    const start = this.#at;
    this.#at += 1;
    for (;;) {
      const c = this.text[this.#at];
      if (c === undefined) throw this.#error('the end of a string');
      if (c === '\\') this.#at += 2;
      else if (c === '"') break;
      else this.#at += 1;
    }
    this.#at += 1;
    try {
      return JSON.parse(this.text.slice(start, this.#at)) as string;
    } catch {
      throw this.#error('a valid string', start);
    }
  }

  #expect(char: string): void {
    this.#space();
    if (this.text[this.#at] !== char) throw this.#error(`"${char}"`);
    this.#at += 1;
  }

  #space(): void {
    while (/[ \t\n\r]/.test(this.text[this.#at] ?? '')) this.#at += 1;
  }

  #error(expected: string, at = this.#at): Error {
    return new Error(`malformed JSON: expected ${expected} at offset ${at}`);
  }
}
