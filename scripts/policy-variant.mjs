// Builds the real policies from a copy, for tests that need a bundle other than the checked-in
// sources make, and for `npm run policy:impact` given a policies directory: the copy (policies/, or
// the directory `from` laid out like it, the build script and the contract's entrypoints) is edited
// by the caller, then built and signed by scripts/policy-build.mjs exactly as `npm run policy:build`
// does. Usage: `buildPolicyVariant({ into, from, edit, env })` → the bundles and the revision.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The files a policy build reads besides policies/. */
const BUILD_INPUTS = [
  join('scripts', 'policy-build.mjs'),
  join('sidecar', 'src', 'contract', 'entrypoints.json'),
];

/**
 * Copies the policy sources (`from`, default the repository's policies/; its build/ is left out)
 * into `into`, lets `edit(into)` change them, builds them there and returns `{ wasm, rego, revision,
 * keys }` (the bundle bytes, the revision, and the keys.json of the development key when no
 * BUNDLE_SIGNING_KEY is in `env`). Throws with the build's output on failure.
 */
export function buildPolicyVariant({
  into,
  from = join(root, 'policies'),
  edit = () => undefined,
  env = {},
}) {
  const outputs = join(from, 'build');
  cpSync(from, join(into, 'policies'), {
    recursive: true,
    filter: (source) => source !== outputs && !source.startsWith(`${outputs}/`),
  });
  for (const file of BUILD_INPUTS) {
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(join(root, file), join(into, file));
  }
  symlinkSync(join(root, 'node_modules'), join(into, 'node_modules'));
  edit(into);
  const childEnv = {
    ...process.env,
    PATH: `${join(root, '.tools', 'bin')}:${process.env.PATH ?? ''}`,
    ...env,
  };
  if (env.BUNDLE_SIGNING_KEY === undefined) delete childEnv.BUNDLE_SIGNING_KEY;
  const result = spawnSync(process.execPath, [join(into, 'scripts', 'policy-build.mjs')], {
    encoding: 'utf8',
    env: childEnv,
  });
  if (result.status !== 0) throw new Error(`policy build failed:\n${result.stdout}${result.stderr}`);
  const build = join(into, 'policies', 'build');
  return {
    wasm: readFileSync(join(build, 'bundle.tar.gz')),
    rego: readFileSync(join(build, 'rego-bundle.tar.gz')),
    revision: readFileSync(join(build, 'revision.txt'), 'utf8').trim(),
    keys: join(into, 'data', 'bundle-signing', 'keys.json'),
  };
}
