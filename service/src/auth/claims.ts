import type { AgentClaim as PolicyAgentClaim, SubjectClaims } from '@verdict/sidecar/contract/policy';

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

/** An amount as a string, the form the AI-agent guidance shows: ASCII digits, no sign, space or point. */
function isDigitString(value: unknown): boolean {
  return typeof value === 'string' && /^[0-9]{1,15}$/.test(value);
}

/** An RFC 3339 full-date (`YYYY-MM-DD`) that names a real calendar day. */
function isFullDate(value: unknown): boolean {
  const match = typeof value === 'string' ? /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(value) : null;
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return days !== undefined && day >= 1 && day <= days;
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
  const { transaction_not_older_than: notOlderThan, transaction_amount_limit: amountLimit } = payload;
  if (notOlderThan !== undefined && !isNonNegativeInteger(notOlderThan) && !isFullDate(notOlderThan)) {
    return '"transaction_not_older_than" must be a non-negative integer of days or a YYYY-MM-DD date';
  }
  if (amountLimit !== undefined && !isNonNegativeInteger(amountLimit) && !isDigitString(amountLimit)) {
    return '"transaction_amount_limit" must be a non-negative integer or a string of 1 to 15 digits';
  }
  if (payload.excluded_categories !== undefined && !isStringArray(payload.excluded_categories)) {
    return '"excluded_categories" must be an array of strings';
  }
  return undefined;
}
