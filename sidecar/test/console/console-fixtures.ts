import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The real signed bundle `npm run policy:build` makes (the bootstrap and `npm test` build it first). */
export const REAL_BUNDLE = `${ROOT}policies/build/bundle.tar.gz`;
/** The development key it is signed with, in `BUNDLE_PUBLIC_KEYS` format. */
export const REAL_KEYS = `${ROOT}data/bundle-signing/keys.json`;

/** Logs in with the access key and returns the `Cookie` header of the session. */
export async function consoleSession(base: string, key: string): Promise<string> {
  const response = await fetch(`${base}/console/?key=${key}`, { redirect: 'manual' });
  const cookie = response.headers.get('set-cookie');
  if (response.status !== 303 || cookie === null) throw new Error(`login failed: ${response.status}`);
  return cookie.split(';')[0]!;
}

/** A policy input of a customer (fake users) acting on a retail EUR transaction. */
export function decisionInput(options: {
  sub: string;
  action: string;
  owner: string;
  id: string;
  amountMinor?: number;
  roles?: string[];
  scope?: string;
}): Record<string, unknown> {
  return {
    subject: {
      claims: {
        sub: options.sub,
        client_id: 'web-app',
        scope: options.scope ?? 'transactions:read',
        roles: options.roles ?? [],
        department: 'retail',
      },
    },
    action: options.action,
    resource: {
      type: 'transaction',
      id: options.id,
      owner: options.owner,
      department: 'retail',
      amount_minor: options.amountMinor ?? 12_050,
      currency: 'EUR',
      category: 'groceries',
      status: 'pending',
      created_at: '2026-11-20T09:30:00Z',
      account: { id: `acct-${options.owner}-1`, owner: options.owner, department: 'retail', status: 'open' },
    },
    environment: { now: '2026-11-23T10:00:00Z', request_id: `req-${options.id}`, ip: '203.0.113.7' },
  };
}
