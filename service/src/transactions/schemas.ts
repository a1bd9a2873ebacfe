import { cursorSchema } from './cursor.js';
import type { FromSchema } from 'json-schema-to-ts';
import { CATEGORIES, STATUSES } from './model.js';

/** ISO 4217 currency codes this runtime knows. */
export const CURRENCIES: readonly string[] = Intl.supportedValuesOf('currency');

const id = { type: 'string', format: 'uuid' } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const category = { type: 'string', enum: [...CATEGORIES] } as const;
const status = { type: 'string', enum: [...STATUSES] } as const;
const subject = { type: 'string', minLength: 1, maxLength: 255 } as const;
const amountMinor = { type: 'integer', minimum: 1, maximum: 100_000_000_000_00 } as const;

/**
 * Free text without control characters (C0 and DEL): PostgreSQL text cannot hold NUL, and no
 * name needs the others. {@link MULTILINE_TEXT} keeps tab, line feed and carriage return.
 */
export const SINGLE_LINE_TEXT = '^[^\\u0000-\\u001F\\u007F]*$';
const MULTILINE_TEXT = '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$';

const note = { type: ['string', 'null'], maxLength: 500, pattern: MULTILINE_TEXT } as const;

/** Body of POST /transactions. */
export const createTransactionSchema = {
  $id: 'TransactionCreate',
  type: 'object',
  additionalProperties: false,
  required: ['account_id', 'amount_minor', 'currency', 'category', 'counterparty'],
  properties: {
    account_id: {
      type: 'string',
      pattern: '^[A-Za-z0-9-]{1,64}$',
      description: "The account it belongs to; the transaction takes the account's owner and department.",
    },
    amount_minor: { ...amountMinor, description: 'Amount in integer minor units of the currency.' },
    currency: { type: 'string', enum: [...CURRENCIES], description: 'ISO 4217 code.' },
    category,
    counterparty: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'account'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 140, pattern: SINGLE_LINE_TEXT },
        account: { type: 'string', pattern: '^[A-Za-z0-9 -]{1,64}$' },
      },
    },
    note,
  },
} as const;

/** Body of PATCH /transactions/{id}: only note and category may change. */
export const patchTransactionSchema = {
  $id: 'TransactionPatch',
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { note, category },
} as const;

/** A PATCH body as validated. */
export type ChangesBody = FromSchema<typeof patchTransactionSchema>;

/** Query of GET /transactions. */
export const listQuerySchema = {
  $id: 'TransactionListQuery',
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    cursor: cursorSchema,
    account_id: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
    category,
    status,
    since: timestamp,
    until: timestamp,
    min_amount: { type: 'integer', minimum: 0 },
    max_amount: { type: 'integer', minimum: 0 },
  },
} as const;

/** A transaction as the API returns it; redactable fields are nullable. */
export const transactionSchema = {
  $id: 'Transaction',
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'owner',
    'account_id',
    'amount_minor',
    'currency',
    'category',
    'counterparty',
    'note',
    'status',
    'department',
    'created_at',
    'updated_at',
    'version',
  ],
  properties: {
    id,
    owner: subject,
    account_id: { type: 'string' },
    amount_minor: amountMinor,
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    category,
    counterparty: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'account'],
      properties: { name: { type: 'string' }, account: { type: ['string', 'null'] } },
    },
    note: { type: ['string', 'null'] },
    status,
    department: { type: 'string' },
    created_at: timestamp,
    updated_at: timestamp,
    version: { type: 'integer', minimum: 1 },
  },
} as const;

/** A page of transactions. */
export const transactionPageSchema = {
  $id: 'TransactionPage',
  type: 'object',
  additionalProperties: false,
  required: ['items', 'next_cursor'],
  properties: {
    items: { type: 'array', items: transactionSchema },
    next_cursor: {
      type: ['string', 'null'],
      description: 'Pass as `cursor` for the next page; null on the last.',
    },
  },
} as const;

/** The `Idempotency-Key` header value. */
export const idempotencyKeySchema = { type: 'string', pattern: '^[\\x21-\\x7E]{1,255}$' } as const;
