#!/usr/bin/env node
// `npm run bench [-- name…]`: runs the benchmarks in bench/ (all, or those named), one after another.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const available = readdirSync(join(root, 'bench'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -3));
const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!available.includes(name)) {
    process.stderr.write(`bench: no benchmark "${name}"; available: ${available.join(', ')}\n`);
    process.exit(2);
  }
}
for (const name of wanted.length > 0 ? wanted : available) {
  process.stdout.write(`\n=== bench ${name}\n`);
  const result = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [join('bench', `${name}.ts`)], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
