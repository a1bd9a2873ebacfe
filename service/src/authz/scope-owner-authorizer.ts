import type { AccessTokenClaims } from '../auth/claims.js';
import type {
  Action,
  Authorizer,
  BatchInput,
  BatchResult,
  Decision,
  DecisionResult,
  ListFilterInput,
  ListFilterResult,
  PolicyInput,
  Reason,
  ResourceAttributes,
} from './decision.js';

/** The scope each action needs. */
const SCOPE_OF: Readonly<Record<Action, string>> = {
  'transactions:list': 'transactions:read',
  'transactions:read': 'transactions:read',
  'transactions:create': 'transactions:write',
  'transactions:update': 'transactions:write',
  'transactions:delete': 'transactions:delete',
  'transactions:approve': 'transactions:approve',
  'transactions:reject': 'transactions:approve',
  'audit:read': 'audit:read',
};

function scopes(claims: AccessTokenClaims): Set<string> {
  return new Set(claims.scope.split(' ').filter((scope) => scope !== ''));
}

function deny(visible: boolean, ...reasons: Reason[]): Decision {
  return { allow: false, visible, reasons, redact: [] };
}

const ALLOW: Decision = { allow: true, visible: true, reasons: [], redact: [] };

/**
 * A scope-plus-owner check in TypeScript: the stand-in until the policy bundle decides. Customers
 * (no roles) act on their own transactions; staff read everything; managers approve others'.
 */
export class ScopeOwnerAuthorizer implements Authorizer {
  ready(): boolean {
    return true;
  }

  decideOne(claims: AccessTokenClaims, action: Action, resource: ResourceAttributes): Decision {
    const roles = claims.roles ?? [];
    const own = resource.owner === undefined || resource.owner === claims.sub;
    const visible = roles.length > 0 || own;
    const scope = SCOPE_OF[action];
    if (!scopes(claims).has(scope)) {
      return deny(visible, {
        code: 'insufficient_scope',
        message: `the action needs the scope ${scope}`,
        scope,
      });
    }
    if (!visible)
      return deny(false, { code: 'not_owner', message: 'transaction belongs to another customer' });
    switch (action) {
      case 'transactions:list':
      case 'transactions:read':
        return ALLOW;
      case 'transactions:create':
      case 'transactions:update':
        return roles.length === 0
          ? ALLOW
          : deny(true, { code: 'role_not_permitted', message: 'staff do not write' });
      case 'transactions:delete':
        if (roles.includes('admin')) return ALLOW;
        if (roles.length > 0 || resource.status !== 'pending') {
          return deny(true, { code: 'not_pending', message: 'only pending transactions can be deleted' });
        }
        return ALLOW;
      case 'transactions:approve':
      case 'transactions:reject':
        if (!roles.includes('manager'))
          return deny(true, { code: 'role_required', message: 'managers only' });
        if (resource.owner === claims.sub) {
          return deny(true, { code: 'separation_of_duties', message: 'no approving your own transaction' });
        }
        if (resource.status !== 'pending') {
          return deny(true, { code: 'not_pending', message: 'only pending transactions can be decided' });
        }
        return ALLOW;
      case 'audit:read':
        return roles.includes('auditor')
          ? ALLOW
          : deny(true, { code: 'role_required', message: 'auditors only' });
    }
  }

  decide(input: PolicyInput): Promise<DecisionResult> {
    return Promise.resolve({ decision: this.decideOne(input.subject.claims, input.action, input.resource) });
  }

  decideBatch(input: BatchInput): Promise<BatchResult> {
    const decisions = input.resources.map((resource) =>
      this.decideOne(input.subject.claims, input.action, resource),
    );
    return Promise.resolve({ decisions });
  }

  listFilter(input: ListFilterInput): Promise<ListFilterResult> {
    const { claims } = input.subject;
    if (!scopes(claims).has('transactions:read')) return Promise.resolve({ anyOf: [] });
    const anyOf = (claims.roles ?? []).length > 0 ? [{}] : [{ owner: claims.sub }];
    return Promise.resolve({ anyOf });
  }
}
