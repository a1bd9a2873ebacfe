import { cursorSchema } from '../transactions/cursor.js';
import { CURRENCIES, SINGLE_LINE_TEXT } from '../transactions/schemas.js';
import { ACCOUNT_STATUSES } from './model.js';

/** An account id: server-made UUIDs, and the older `acct-…` style ids. */
export const accountIdSchema = { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' } as const;

const subject = { type: 'string', minLength: 1, maxLength: 255, pattern: SINGLE_LINE_TEXT } as const;
const status = { type: 'string', enum: [...ACCOUNT_STATUSES] } as const;

/** Body of POST /accounts. */
export const openAccountSchema = {
  $id: 'AccountOpen',
  type: 'object',
  additionalProperties: false,
  required: ['currency'],
  properties: {
    currency: { type: 'string', enum: [...CURRENCIES], description: 'ISO 4217 code.' },
    owner: {
      ...subject,
      description:
        'The holder; defaults to the caller (sub). Only service clients listed in policy data open for others.',
    },
    department: {
      type: 'string',
      pattern: '^[a-z][a-z0-9_-]{0,63}$',
      description: "The home branch; defaults to the caller's `department` claim or the default branch.",
    },
  },
} as const;

/** Query of GET /accounts. */
export const accountListQuerySchema = {
  $id: 'AccountListQuery',
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    cursor: cursorSchema,
    status,
  },
} as const;

/** An account as the API returns it. */
export const accountSchema = {
  $id: 'Account',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'owner', 'department', 'currency', 'status', 'created_at', 'version'],
  properties: {
    id: { type: 'string' },
    owner: subject,
    department: { type: 'string' },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    status,
    created_at: { type: 'string', format: 'date-time' },
    version: { type: 'integer', minimum: 1 },
  },
} as const;

/** A page of accounts. */
export const accountPageSchema = {
  $id: 'AccountPage',
  type: 'object',
  additionalProperties: false,
  required: ['items', 'next_cursor'],
  properties: {
    items: { type: 'array', items: accountSchema },
    next_cursor: {
      type: ['string', 'null'],
      description: 'Pass as `cursor` for the next page; null on the last.',
    },
  },
} as const;
