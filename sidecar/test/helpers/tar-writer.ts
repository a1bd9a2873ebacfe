import { gzipSync } from 'node:zlib';

/** One entry for {@link tar}: a name, its bytes, and the header fields a test wants to bend. */
export interface TestEntry {
  readonly name: string;
  readonly data?: Buffer | string;
  /** Tar type flag (default `'0'`, a regular file). */
  readonly type?: string;
  readonly linkname?: string;
  /** ustar prefix field (names longer than 100 bytes). */
  readonly prefix?: string;
  /** Write a wrong header checksum. */
  readonly badChecksum?: boolean;
  /** Claim this size instead of the data's. */
  readonly size?: number;
}

function header(entry: TestEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  block.write(entry.name, 0, 100, 'utf8');
  block.write('0000644\0', 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write('00000000000\0', 136, 'latin1');
  block.write(entry.type ?? '0', 156, 'latin1');
  if (entry.linkname) block.write(entry.linkname, 157, 100, 'utf8');
  block.write('ustar\0', 257, 'latin1');
  block.write('00', 263, 'latin1');
  if (entry.prefix) block.write(entry.prefix, 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  if (entry.badChecksum) sum += 1;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** Header and padded data blocks of one entry. */
export function tarEntry(entry: TestEntry): Buffer {
  const data = Buffer.from(entry.data ?? '');
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header(entry, entry.size ?? data.length), data, padding]);
}

/** A GNU long-name (`L`) entry naming the entry that follows it. */
export function gnuLongName(name: string): Buffer {
  return tarEntry({ name: '././@LongLink', type: 'L', data: `${name}\0` });
}

/** A pax extended header (`x`) with the given records. */
export function paxHeader(records: Readonly<Record<string, string>>): Buffer {
  const lines = Object.entries(records).map(([key, value]) => {
    const body = ` ${key}=${value}\n`;
    let length = body.length + 1;
    while (`${length}${body}`.length !== length) length = `${length}${body}`.length;
    return `${length}${body}`;
  });
  return tarEntry({ name: 'PaxHeaders/x', type: 'x', data: lines.join('') });
}

/** An uncompressed archive of the given blocks, with the two-block end marker unless `end` is false. */
export function tar(parts: readonly (Buffer | TestEntry)[], end = true): Buffer {
  const blocks = parts.map((part) => (Buffer.isBuffer(part) ? part : tarEntry(part)));
  return Buffer.concat([...blocks, Buffer.alloc(end ? 1024 : 0)]);
}

/** {@link tar}, gzipped, as a bundle arrives. */
export function tarGz(parts: readonly (Buffer | TestEntry)[], end = true): Buffer {
  return gzipSync(tar(parts, end));
}
