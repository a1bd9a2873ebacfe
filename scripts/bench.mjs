#!/usr/bin/env node
// `npm run bench [-- [--quick] [--check] [scenario…]]`: rebuilds the policy bundles when the
// sources changed, builds the service and the sidecar when the project has a build
// (`npm run build`), then runs the benchmark suite (bench/run.ts), which starts them from dist/
// when built and from their sources otherwise.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStale } from './policy-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts ?? {};
function step(name, command, commandArgs) {
  const done = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
  if (done.status !== 0) {
    process.stderr.write(`bench: ${name} failed\n`);
    process.exit(done.status ?? 1);
  }
}
if (!args.includes('--help')) {
  if (isStale()) step('npm run policy:build', process.execPath, [join('scripts', 'policy-build.mjs')]);
  if (scripts.build !== undefined) step('npm run build', 'npm', ['run', '-s', 'build']);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', join('bench', 'run.ts'), ...args], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
