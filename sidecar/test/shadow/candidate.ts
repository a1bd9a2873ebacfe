import { readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { loadCases, type Case } from '../../../policy-tests/src/cases.js';
import { buildPolicyVariant } from '../../../scripts/policy-variant.mjs';
import { REAL_KEYS } from '../console/console-fixtures.js';

/** The manager EUR approval limit of the real policies, and the candidate's lower one. */
export const OLD_LIMIT = 5_000_000;
export const NEW_LIMIT = 2_000_000;

/**
 * The real policies with the manager EUR approval limit lowered, built and signed with the
 * development key (as the impact and console tests do): written to `<dir>/candidate.tar.gz`.
 */
export function writeCandidate(dir: string): Promise<{ path: string; revision: string }> {
  const variant = buildPolicyVariant({
    into: join(dir, 'candidate'),
    env: { BUNDLE_SIGNING_KEY: join(dirname(REAL_KEYS), 'private.pem') },
    edit: (root: string) => {
      const file = join(root, 'policies', 'data', 'roles.yaml');
      const document = parseDocument(readFileSync(file, 'utf8'));
      const path = ['roles', 'manager', 'approval_limits', 'EUR'];
      if (document.getIn(path) !== OLD_LIMIT) throw new Error('roles.yaml no longer has the old limit');
      document.setIn(path, NEW_LIMIT);
      writeFileSync(file, document.toString());
    },
  });
  const path = join(dir, 'candidate.tar.gz');
  return writeFile(path, variant.wasm).then(() => ({ path, revision: variant.revision }));
}

/** Decision-table cases, and among them an allowed EUR approval between the two limits. */
export function shadowCases(): { cases: Case[]; approval: Case } {
  const cases = loadCases();
  const approval = cases.find((c) => {
    const resource = c.input.resource as { amount_minor?: number; currency?: string } | undefined;
    return (
      c.entrypoint === 'decision' &&
      c.input.action === 'transactions:approve' &&
      'allow' in c.expected &&
      c.expected.allow &&
      resource?.currency === 'EUR' &&
      (resource.amount_minor ?? 0) > NEW_LIMIT &&
      (resource.amount_minor ?? 0) <= OLD_LIMIT
    );
  });
  if (approval === undefined) throw new Error('no decision-table approval between the two limits');
  return { cases, approval };
}
