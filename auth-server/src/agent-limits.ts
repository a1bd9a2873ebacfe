/**
 * The limits a user sets on an AI agent (`transaction_not_older_than`, `transaction_amount_limit`,
 * `excluded_categories`): requested as authorization parameters of the same names, shown and
 * confirmed on the consent page, recorded with the grant and issued as access-token claims in the
 * shapes policies/verdict/authz/agents reads.
 */
export interface AgentLimits {
  /** Whole days back from now, or an RFC 3339 full-date. */
  readonly transaction_not_older_than?: number | string;
  /** Integer minor units. */
  readonly transaction_amount_limit?: number;
  readonly excluded_categories?: readonly string[];
}

/** The parameter (and claim) names, in the order the consent page shows them. */
export const LIMIT_PARAMS = [
  'transaction_amount_limit',
  'transaction_not_older_than',
  'excluded_categories',
] as const;

export type LimitParam = (typeof LIMIT_PARAMS)[number];

/** A limit that cannot be issued; `param` names it. */
export class InvalidLimitError extends Error {
  constructor(
    readonly param: LimitParam,
    reason: string,
  ) {
    super(`${param} ${reason}`);
    this.name = 'InvalidLimitError';
  }
}

/** The policy's bound on day counts (policies/verdict/authz/agents: _max_days). */
const MAX_DAYS = 36_500;
const MAX_CATEGORIES = 20;
const CATEGORY = /^[a-z][a-z0-9_-]{0,31}$/;

function fullDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

function notOlderThan(value: string): number | string {
  if (/^\d{1,5}$/.test(value) && Number(value) <= MAX_DAYS) return Number(value);
  if (fullDate(value)) return value;
  throw new InvalidLimitError(
    'transaction_not_older_than',
    `must be whole days (0 to ${MAX_DAYS}) or an RFC 3339 full-date (YYYY-MM-DD)`,
  );
}

function amountLimit(value: string): number {
  if (/^\d{1,15}$/.test(value)) return Number(value);
  throw new InvalidLimitError('transaction_amount_limit', 'must be whole minor units (up to 15 digits)');
}

function categories(value: string): string[] {
  const names = [...new Set(value.split(/[\s,]+/).filter((name) => name !== ''))];
  if (names.length === 0 || names.length > MAX_CATEGORIES || !names.every((name) => CATEGORY.test(name)))
    throw new InvalidLimitError(
      'excluded_categories',
      `must be 1 to ${MAX_CATEGORIES} category names (lower case) separated by spaces or commas`,
    );
  return names.sort();
}

/** Whether a raw parameter value is present (absent and blank both mean "no limit"). */
function given(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** Parses the limits from request or form parameters; throws InvalidLimitError on a bad one. */
export function parseAgentLimits(params: Readonly<Record<string, unknown>>): AgentLimits {
  const amount = params.transaction_amount_limit;
  const days = params.transaction_not_older_than;
  const excluded = params.excluded_categories;
  return {
    ...(given(amount) ? { transaction_amount_limit: amountLimit(amount.trim()) } : {}),
    ...(given(days) ? { transaction_not_older_than: notOlderThan(days.trim()) } : {}),
    ...(given(excluded) ? { excluded_categories: categories(excluded) } : {}),
  };
}

/** Checks one raw parameter value (the authorization endpoint's extraParams validator). */
export function checkLimitParam(param: LimitParam, value: unknown): void {
  if (value !== undefined && typeof value !== 'string')
    throw new InvalidLimitError(param, 'must be a string');
  parseAgentLimits({ [param]: value });
}

/** A limit as a form field value (the consent page pre-fills what was requested). */
export function limitFieldValue(limits: AgentLimits, param: LimitParam): string {
  const value = limits[param];
  if (value === undefined) return '';
  return Array.isArray(value) ? value.join(' ') : String(value);
}
