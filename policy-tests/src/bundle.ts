import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const policies = join(root, 'policies');

/** The compiled WASM bundle `npm run policy:build` writes. */
export const WASM_BUNDLE = join(policies, 'build', 'bundle.tar.gz');

/** Newest modification time of a source under policies/ (policies/build excluded). */
function newestSource(): number {
  return readdirSync(policies, { recursive: true, encoding: 'utf8' })
    .filter((path) => path !== 'build' && !path.startsWith('build/'))
    .reduce((newest, path) => Math.max(newest, statSync(join(policies, path)).mtimeMs), 0);
}

/** Builds the bundles (scripts/policy-build.mjs) when they are missing or older than a source. */
export function ensureBundle(): void {
  if (existsSync(WASM_BUNDLE) && statSync(WASM_BUNDLE).mtimeMs >= newestSource()) return;
  execFileSync(process.execPath, [join(root, 'scripts', 'policy-build.mjs')], { stdio: 'inherit' });
}
