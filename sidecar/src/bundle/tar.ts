import { BundleInvalidError } from '../errors.js';

const BLOCK = 512;

/** One regular file of a tar archive, its path normalised to `/a/b` (see {@link normaliseEntryPath}). */
export interface TarEntry {
  readonly path: string;
  readonly data: Buffer;
}

/** Limits that keep a hostile archive from costing more than a bundle ever needs. */
export interface TarLimits {
  /** Regular files at most (default 10 000). */
  readonly maxEntries?: number;
}

/**
 * Reads the regular files of an uncompressed ustar/GNU/pax tar archive held in memory.
 *
 * Handles GNU long names (`L`), pax extended headers (`x`: `path` and `size` used, the rest
 * ignored) and skips directories, GNU long link names (`K`) and pax global headers (`g`). Anything
 * that could point outside the bundle or is not plain data is rejected with {@link BundleInvalidError}:
 * `..` segments, backslashes, control characters, links, devices, FIFOs, sparse or multi-volume
 * entries, duplicate paths, a bad header checksum, a truncated archive, a missing end marker.
 */
export function readTar(archive: Buffer, limits: TarLimits = {}): TarEntry[] {
  const maxEntries = limits.maxEntries ?? 10_000;
  const entries: TarEntry[] = [];
  const seen = new Set<string>();
  let offset = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  let paxSize: number | undefined;

  for (;;) {
    if (offset + BLOCK > archive.length) throw invalid('archive ends without an end-of-archive block');
    const header = archive.subarray(offset, offset + BLOCK);
    offset += BLOCK;
    if (isZeroBlock(header)) return entries;

    verifyChecksum(header, offset - BLOCK);
    const type = String.fromCharCode(header[156] ?? 0);
    const isMeta = type === 'L' || type === 'K' || type === 'x' || type === 'g';
    const headerSize = parseNumber(header.subarray(124, 136), 'size');
    const size = isMeta ? headerSize : (paxSize ?? headerSize);
    const end = offset + size;
    if (end > archive.length) throw invalid('an entry runs past the end of the archive');
    const data = archive.subarray(offset, end);
    offset += Math.ceil(size / BLOCK) * BLOCK;

    switch (type) {
      case 'L':
        longName = cString(data);
        continue;
      case 'x':
        ({ path: paxPath, size: paxSize } = parsePax(data));
        continue;
      case 'g':
      case 'K':
        continue;
      default:
        break;
    }

    const rawPath = paxPath ?? longName ?? headerName(header);
    longName = undefined;
    paxPath = undefined;
    paxSize = undefined;
    if (type === '5') continue;
    const path = normaliseEntryPath(rawPath);
    if (type !== '0' && type !== '\0' && type !== '7') {
      throw invalid(`entry ${path} is not a regular file (type ${JSON.stringify(type)})`);
    }
    if (seen.has(path)) throw invalid(`entry ${path} appears twice`);
    seen.add(path);
    if (entries.length >= maxEntries) throw invalid(`more than ${maxEntries} files`);
    entries.push({ path, data });
  }
}

/**
 * Turns a tar entry name into a bundle path: `/policy.wasm`, `/verdict/authz/data.json`.
 *
 * OPA writes its bundle entries with a leading `/` meaning "the bundle root", so a leading `/` (or
 * `./`) is accepted and normalised, never used as a file-system path. Any `..` segment, backslash or
 * control character is rejected: nothing in a bundle may name a place outside it.
 */
export function normaliseEntryPath(name: string): string {
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (name === '' || /[\u0000-\u001f\u007f\\]/.test(name))
    throw invalid(`unsafe entry name ${JSON.stringify(name)}`);
  const segments = name.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw invalid(`entry name ${JSON.stringify(name)} escapes the bundle`);
  if (segments.length === 0) throw invalid(`empty entry name ${JSON.stringify(name)}`);
  return `/${segments.join('/')}`;
}

function headerName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  // POSIX ustar ("ustar\0") splits long names into prefix + name; GNU ("ustar  ") uses that area otherwise.
  const isPosixUstar = header.subarray(257, 263).toString('latin1') === 'ustar\0';
  const prefix = isPosixUstar ? cString(header.subarray(345, 500)) : '';
  return prefix === '' ? name : `${prefix}/${name}`;
}

function verifyChecksum(header: Buffer, at: number): void {
  const stored = parseNumber(header.subarray(148, 156), 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  if (sum !== stored) throw invalid(`bad header checksum at byte ${at}`);
}

function parseNumber(field: Buffer, what: string): number {
  const first = field[0] ?? 0;
  if (first & 0x80) {
    // GNU base-256: big-endian, the top bit of the first byte marks it; negative values are refused.
    if (first & 0x40) throw invalid(`negative ${what}`);
    let value = first & 0x3f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    if (!Number.isSafeInteger(value)) throw invalid(`${what} too large`);
    return value;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw invalid(`${what} is not an octal number`);
  return Number.parseInt(text, 8);
}

function parsePax(data: Buffer): { path: string | undefined; size: number | undefined } {
  let path: string | undefined;
  let size: number | undefined;
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space < 0) throw invalid('malformed pax header');
    const length = Number(data.subarray(offset, space).toString('latin1'));
    if (!Number.isSafeInteger(length) || length <= space - offset || offset + length > data.length) {
      throw invalid('malformed pax record length');
    }
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals < 0 || data[offset + length - 1] !== 0x0a) throw invalid('malformed pax record');
    const key = record.slice(0, equals);
    const value = record.slice(equals + 1);
    if (key === 'path') path = value;
    if (key === 'size') {
      if (!/^[0-9]+$/.test(value)) throw invalid('malformed pax size');
      size = Number(value);
      if (!Number.isSafeInteger(size)) throw invalid('pax size too large');
    }
    offset += length;
  }
  return { path, size };
}

function cString(field: Buffer): string {
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
}

function isZeroBlock(block: Buffer): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

function invalid(problem: string): BundleInvalidError {
  return new BundleInvalidError(`bundle archive: ${problem}`);
}
