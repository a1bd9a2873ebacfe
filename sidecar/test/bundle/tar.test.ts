import test, { type ExecutionContext } from 'ava';
import { normaliseEntryPath, readTar } from '../../src/bundle/tar.js';
import { BundleInvalidError } from '../../src/errors.js';
import { gnuLongName, paxHeader, tar, tarEntry } from '../helpers/tar-writer.js';

function rejects(t: ExecutionContext, archive: Buffer, message: RegExp): void {
  const error = t.throws(() => readTar(archive), { instanceOf: BundleInvalidError, message });
  t.is(error.code, 'bundle_invalid');
}

test('regular files are read with OPA-style root paths and their bytes', (t) => {
  const entries = readTar(
    tar([
      { name: '/data.json', data: '{"a":1}' },
      { name: 'x/policy.wasm', data: 'WASM' },
    ]),
  );
  t.deepEqual(
    entries.map((e) => [e.path, e.data.toString()]),
    [
      ['/data.json', '{"a":1}'],
      ['/x/policy.wasm', 'WASM'],
    ],
  );
});

test('a file of exactly 512 bytes and an empty file keep their sizes', (t) => {
  const entries = readTar(
    tar([{ name: 'a', data: 'x'.repeat(512) }, { name: 'b' }, { name: 'c', data: 'z' }]),
  );
  t.deepEqual(
    entries.map((e) => [e.path, e.data.length]),
    [
      ['/a', 512],
      ['/b', 0],
      ['/c', 1],
    ],
  );
});

test('directories are skipped', (t) => {
  const entries = readTar(
    tar([
      { name: './', type: '5' },
      { name: 'dir/', type: '5' },
      { name: 'dir/data.json', data: '{}' },
    ]),
  );
  t.deepEqual(
    entries.map((e) => e.path),
    ['/dir/data.json'],
  );
});

test('a ustar prefix is joined to the name', (t) => {
  const entries = readTar(tar([{ name: 'data.json', prefix: 'deep/ly/nested', data: '{}' }]));
  t.is(entries[0]?.path, '/deep/ly/nested/data.json');
});

test('a GNU long name (L) names the next entry', (t) => {
  const long = `${'a'.repeat(150)}/data.json`;
  const entries = readTar(
    tar([gnuLongName(long), { name: 'truncated', data: '{}' }, { name: 'next', data: '1' }]),
  );
  t.deepEqual(
    entries.map((e) => e.path),
    [`/${long}`, '/next'],
  );
});

test('a pax header (x) sets the next entry path; a global header (g) is skipped', (t) => {
  const entries = readTar(
    tar([
      tarEntry({ name: 'g', type: 'g', data: '9 a=bcd\n' }),
      paxHeader({ path: 'pax/named/data.json', mtime: '0' }),
      { name: 'short', data: '{}' },
      { name: 'after', data: '' },
    ]),
  );
  t.deepEqual(
    entries.map((e) => e.path),
    ['/pax/named/data.json', '/after'],
  );
});

test('a pax path with .. is rejected like any other', (t) => {
  rejects(t, tar([paxHeader({ path: '../../etc/passwd' }), { name: 'ok', data: '' }]), /escapes the bundle/);
});

for (const name of ['../evil', 'a/../../evil', '/../evil', 'a/b/..', '..']) {
  test(`entry name ${JSON.stringify(name)} → bundle_invalid (escapes the bundle)`, (t) => {
    rejects(t, tar([{ name, data: 'x' }]), /escapes the bundle/);
  });
}

test('a GNU long name with .. is rejected', (t) => {
  rejects(
    t,
    tar([gnuLongName(`${'a/'.repeat(60)}${'../'.repeat(61)}x`), { name: 'y' }]),
    /escapes the bundle/,
  );
});

test('backslashes and control characters in names → bundle_invalid', (t) => {
  rejects(t, tar([{ name: '..\\evil', data: '' }]), /unsafe entry name/);
  rejects(t, tar([{ name: 'a\u0001b', data: '' }]), /unsafe entry name/);
});

test('leading slash and ./ segments are bundle-root relative, never file-system paths', (t) => {
  t.is(normaliseEntryPath('/data.json'), '/data.json');
  t.is(normaliseEntryPath('./a//./b/data.json'), '/a/b/data.json');
  t.throws(() => normaliseEntryPath('/'), { instanceOf: BundleInvalidError, message: /empty entry name/ });
});

for (const [type, label] of [
  ['2', 'symlink'],
  ['1', 'hard link'],
  ['3', 'character device'],
  ['4', 'block device'],
  ['6', 'FIFO'],
  ['S', 'GNU sparse file'],
] as const) {
  test(`a ${label} entry (type ${type}) → bundle_invalid`, (t) => {
    rejects(t, tar([{ name: 'data.json', type, linkname: '/etc/passwd' }]), /is not a regular file/);
  });
}

test('a bad header checksum → bundle_invalid', (t) => {
  rejects(t, tar([{ name: 'data.json', data: '{}', badChecksum: true }]), /bad header checksum at byte 0/);
});

test('an entry claiming more bytes than the archive holds → bundle_invalid', (t) => {
  rejects(t, Buffer.concat([tarEntry({ name: 'a', data: 'x', size: 4096 })]), /runs past the end/);
});

test('an archive without the end-of-archive block → bundle_invalid', (t) => {
  rejects(t, tar([{ name: 'a', data: 'x' }], false), /without an end-of-archive block/);
});

test('the same path twice → bundle_invalid', (t) => {
  rejects(
    t,
    tar([
      { name: '/data.json', data: '{}' },
      { name: 'data.json', data: '{"x":1}' },
    ]),
    /appears twice/,
  );
});

test('more files than maxEntries → bundle_invalid', (t) => {
  const archive = tar([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
  t.is(readTar(archive, { maxEntries: 3 }).length, 3);
  t.throws(() => readTar(archive, { maxEntries: 2 }), {
    instanceOf: BundleInvalidError,
    message: /more than 2 files/,
  });
});

test('a non-octal size field → bundle_invalid', (t) => {
  const block = tarEntry({ name: 'a', data: 'x' });
  block.write('zz', 124, 'latin1');
  // Recompute the checksum so only the size is wrong.
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block.subarray(0, 512)) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  rejects(t, Buffer.concat([block, Buffer.alloc(1024)]), /size is not an octal number/);
});
