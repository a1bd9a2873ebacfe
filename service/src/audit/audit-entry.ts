import { randomUUID } from 'node:crypto';
import type { AuthorizedState } from '../authz/authorize.js';
import type { AuditEntry, AuditOutcome } from './record.js';

/** What a request adds to the request's own facts to make an audit entry. */
export interface AuditFacts {
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly status: number;
  readonly resourceType?: string;
  readonly resourceId?: string | undefined;
  readonly reasons?: readonly string[];
  readonly changedFields?: readonly string[];
}

/** The audit entry of a request: who (sub, client, agent), what, the decision's provenance, how it ended. */
export function auditEntry(state: AuthorizedState, nowMs: number, facts: AuditFacts): AuditEntry {
  const { claims, provenance, resource } = state;
  return {
    id: randomUUID(),
    time: new Date(nowMs).toISOString(),
    request_id: state.requestId,
    decision_id: provenance?.decisionId ?? null,
    bundle_revision: provenance?.revision ?? null,
    action: facts.action,
    resource_type: facts.resourceType ?? resource?.type ?? 'transaction',
    resource_id: facts.resourceId ?? resource?.id ?? null,
    sub: claims?.sub ?? null,
    client_id: claims?.client_id ?? null,
    agent_id: claims?.agent?.id ?? null,
    agent_client_type: claims?.agent?.client_type ?? null,
    outcome: facts.outcome,
    reasons: [...(facts.reasons ?? [])],
    http_status: facts.status,
    changed_fields: [...(facts.changedFields ?? [])].sort(),
    client_ip: state.clientIp === '' ? null : state.clientIp,
  };
}
