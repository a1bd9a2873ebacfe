import { createHash, timingSafeEqual } from 'node:crypto';

/** Staff roles, by the names the `roles` claim and policies/data/roles.yaml use. */
export type Role = 'support' | 'manager' | 'auditor' | 'admin';

/** A development user: a customer (no roles) or a staff member. */
export interface DevUser {
  readonly id: string;
  readonly name: string;
  /** Empty for a customer. */
  readonly roles: readonly Role[];
  /** A customer's home branch, a staff member's department (policies/data/departments.yaml). */
  readonly department: string;
}

/** DEVELOPMENT ONLY: every user's password. */
export const DEV_PASSWORD = 'verdict';

/** DEVELOPMENT ONLY: the one-time code that completes a multi-factor login. */
export const DEV_ONE_TIME_CODE = '000000';

/**
 * The development users, named as in policy-tests/fixtures.yaml and the seeded demo accounts
 * (service/src/dev/seed.ts: acct-alice-1, acct-bob-1 in retail, acct-carol-1 in private).
 */
export const DEV_USERS: readonly DevUser[] = Object.freeze([
  { id: 'alice', name: 'Alice', roles: [], department: 'retail' },
  { id: 'bob', name: 'Bob', roles: [], department: 'retail' },
  { id: 'carol', name: 'Carol', roles: [], department: 'private' },
  { id: 'sam', name: 'Sam (support, retail)', roles: ['support'], department: 'retail' },
  { id: 'sue', name: 'Sue (support, private)', roles: ['support'], department: 'private' },
  { id: 'mia', name: 'Mia (manager, retail)', roles: ['manager'], department: 'retail' },
  { id: 'max', name: 'Max (manager, private)', roles: ['manager'], department: 'private' },
  { id: 'ada', name: 'Ada (auditor)', roles: ['auditor'], department: 'compliance' },
  { id: 'root', name: 'Root (admin)', roles: ['admin'], department: 'retail' },
]);

const BY_ID = new Map(DEV_USERS.map((user) => [user.id, user]));

/** The user with this id, or undefined. */
export function findUser(id: string): DevUser | undefined {
  return BY_ID.get(id);
}

/** Whether the user is a customer (a token without roles). */
export function isCustomer(user: DevUser): boolean {
  return user.roles.length === 0;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The user whose username and password these are, or undefined; compares in constant time. */
export function authenticate(username: string, password: string): DevUser | undefined {
  const user = BY_ID.get(username);
  const matches = timingSafeEqual(digest(password), digest(DEV_PASSWORD));
  return user !== undefined && matches ? user : undefined;
}

/** Whether this is the development one-time code; compares in constant time. */
export function oneTimeCodeMatches(code: string): boolean {
  return timingSafeEqual(digest(code), digest(DEV_ONE_TIME_CODE));
}
