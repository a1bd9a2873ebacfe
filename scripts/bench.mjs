#!/usr/bin/env node
// `npm run bench [-- [--quick] [--check] [scenario…]]`: builds the service and the sidecar when the
// project has a build (`npm run build`), then runs the benchmark suite (bench/run.ts), which starts
// them from dist/ when built and from their sources otherwise.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts ?? {};
if (scripts.build !== undefined && !args.includes('--help')) {
  const built = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) {
    process.stderr.write('bench: npm run build failed\n');
    process.exit(built.status ?? 1);
  }
}
const result = spawnSync(process.execPath, ['--import', 'tsx', join('bench', 'run.ts'), ...args], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
