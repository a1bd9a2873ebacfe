import type { AgentClaim as PolicyAgentClaim, SubjectClaims } from '@verdict/sidecar/engine';

/** An AI agent acting for a user (the `agent` claim). */
export interface AgentClaim extends PolicyAgentClaim {
  readonly client_type: 'confidential' | 'public';
}

/**
 * The verified claims of an RFC 9068 access token, as ARCHITECTURE.md names them: what the policy
 * reads (SubjectClaims) plus the registered claims the verifier checked.
 */
export interface AccessTokenClaims extends SubjectClaims {
  readonly iss: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly nbf?: number;
  readonly jti: string;
  readonly agent?: AgentClaim;
}

/** Required claims and the JSON type each must have. */
export const REQUIRED_CLAIMS = {
  iss: 'string',
  aud: 'audience',
  exp: 'number',
  iat: 'number',
  jti: 'string',
  sub: 'string',
  client_id: 'string',
  scope: 'string',
} as const;

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isNonNegativeInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Checks the types of the claims the service and the policy rely on; returns what is wrong, or
 * undefined. Presence of required claims is checked by the verifier before this.
 */
export function claimTypeProblem(payload: Readonly<Record<string, unknown>>): string | undefined {
  for (const [name, type] of Object.entries(REQUIRED_CLAIMS)) {
    const value = payload[name];
    if (type === 'audience') {
      if (typeof value !== 'string' && !isStringArray(value))
        return `"${name}" must be a string or array of strings`;
    } else if (typeof value !== type || value === '') {
      return `"${name}" must be a non-empty ${type}`;
    }
  }
  const { roles, department, acr, auth_time, agent } = payload;
  if (roles !== undefined && !isStringArray(roles)) return '"roles" must be an array of strings';
  if (department !== undefined && typeof department !== 'string') return '"department" must be a string';
  if (acr !== undefined && typeof acr !== 'string') return '"acr" must be a string';
  if (auth_time !== undefined && !isNonNegativeInteger(auth_time)) return '"auth_time" must be a NumericDate';
  if (agent !== undefined) {
    const record = agent as Record<string, unknown> | null;
    const ok =
      typeof record === 'object' &&
      record !== null &&
      !Array.isArray(record) &&
      typeof record.id === 'string' &&
      (record.client_type === 'confidential' || record.client_type === 'public');
    if (!ok) return '"agent" must be {"id": string, "client_type": "confidential" | "public"}';
  }
  for (const name of ['transaction_not_older_than', 'transaction_amount_limit']) {
    if (payload[name] !== undefined && !isNonNegativeInteger(payload[name])) {
      return `"${name}" must be a non-negative integer`;
    }
  }
  if (payload.excluded_categories !== undefined && !isStringArray(payload.excluded_categories)) {
    return '"excluded_categories" must be an array of strings';
  }
  return undefined;
}
