import {
  accountIdSchema,
  accountListQuerySchema,
  accountPageSchema,
  accountSchema,
  openAccountSchema,
} from './accounts/schemas.js';
import { AUDIT_RECORD_FIELDS } from './audit/record.js';
import { auditQuerySchema } from './audit/routes.js';
import { PROBLEM_TYPE_BASE } from './http/problem.js';
import { BODY_LIMIT_BYTES } from './http/json-body.js';
import {
  createTransactionSchema,
  idempotencyKeySchema,
  listQuerySchema,
  patchTransactionSchema,
  transactionPageSchema,
  transactionSchema,
} from './transactions/schemas.js';

type JsonObject = Record<string, unknown>;

/** Drops `$id` so a request schema can be embedded as an OpenAPI component. */
function component(schema: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$id'));
}

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'code', 'request_id'],
  properties: {
    type: { type: 'string', description: `${PROBLEM_TYPE_BASE}<code>` },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    request_id: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
    reasons: { type: 'array', items: { type: 'string' } },
    scope: { type: 'string' },
    error_id: { type: 'string' },
  },
};

function problem(description: string, headers: JsonObject = {}): JsonObject {
  return {
    description,
    ...(Object.keys(headers).length === 0 ? {} : { headers }),
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

const rateLimitHeaders = {
  'RateLimit-Limit': { schema: { type: 'integer' } },
  'RateLimit-Remaining': { schema: { type: 'integer' } },
  'RateLimit-Reset': { schema: { type: 'integer' }, description: 'Seconds until the window resets.' },
};

const retryAfter = {
  'Retry-After': { required: true, schema: { type: 'integer', minimum: 0 }, description: 'Seconds to wait.' },
};

/** What every operation behind a token can answer, whatever it does. */
const securedErrors = {
  '400': problem(
    'invalid_request (malformed Authorization header or request) or validation_failed ' +
      '(a parameter, header or body fails its schema; an unknown cursor)',
  ),
  '401': problem('invalid_token, or insufficient_user_authentication (RFC 9470 step-up)', {
    'WWW-Authenticate': { required: true, schema: { type: 'string' }, description: 'A Bearer challenge.' },
  }),
  '403': problem('forbidden, insufficient_scope or policy_no_decision', {
    'WWW-Authenticate': { schema: { type: 'string' }, description: 'With insufficient_scope only.' },
  }),
  '413': problem(`payload_too_large: a body (or declared Content-Length) over ${BODY_LIMIT_BYTES} bytes`),
  '429': problem('rate_limited', { ...retryAfter, ...rateLimitHeaders }),
  '500': problem('internal_error'),
  '503': problem('authorization_unavailable or authorization_server_unavailable', retryAfter),
};

/** What an operation answers beyond `securedErrors`, by what it takes. */
interface Answers {
  /** Why it can answer 404 (an id that does not exist or may not be seen, an unknown account…). */
  readonly notFound?: string;
  /** It reads a JSON body (another media type is 415). */
  readonly body?: boolean;
  /** It checks If-Match: a stale ETag is 412; `required` also answers 428 without one. */
  readonly ifMatch?: 'required' | 'optional';
  /** It takes an Idempotency-Key (reused with another body is 409). */
  readonly idempotent?: boolean;
  /** It changes a stored version that another request may change first (412). */
  readonly versioned?: boolean;
}

/** The responses of an operation behind a token: its successes, then every error it can answer. */
function securedResponses(successes: JsonObject, answers: Answers): JsonObject {
  return {
    ...successes,
    ...securedErrors,
    ...(answers.notFound === undefined ? {} : { '404': problem(`not_found: ${answers.notFound}`) }),
    ...(answers.idempotent === true ? { '409': problem('idempotency_conflict') } : {}),
    ...(answers.ifMatch !== undefined || answers.versioned === true
      ? { '412': problem('precondition_failed: the version changed (If-Match no longer matches)') }
      : {}),
    ...(answers.body === true ? { '415': problem('unsupported_media_type: the body is not JSON') } : {}),
    ...(answers.ifMatch === 'required' ? { '428': problem('precondition_required: send If-Match') } : {}),
  };
}

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
/** If-Match: where it is required an empty value counts as none (428); where optional, as absent. */
const ifMatch = (required: boolean) => ({
  name: 'If-Match',
  in: 'header',
  required,
  schema: required ? { type: 'string', minLength: 1 } : { type: 'string' },
  description: 'The ETag of the version being changed, or `*`.',
});

/** Query parameters from a request's JSON Schema (the one that validates them). */
function queryParams(schema: { properties: Record<string, unknown> }): JsonObject[] {
  return Object.entries(schema.properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: false,
    schema: property,
  }));
}

const nullableString = { type: ['string', 'null'] };

/** An audit record as GET /audit returns it (audit/record.ts). */
const auditRecordSchema = {
  type: 'object',
  additionalProperties: false,
  required: [...AUDIT_RECORD_FIELDS],
  properties: {
    seq: { type: 'integer', minimum: 1 },
    id: { type: 'string' },
    time: { type: 'string', format: 'date-time' },
    request_id: { type: 'string' },
    decision_id: nullableString,
    bundle_revision: nullableString,
    action: { type: 'string' },
    resource_type: { type: 'string' },
    resource_id: nullableString,
    sub: nullableString,
    client_id: nullableString,
    agent_id: nullableString,
    agent_client_type: nullableString,
    outcome: { type: 'string', enum: ['allowed', 'denied', 'error'] },
    reasons: { type: 'array', items: { type: 'string' } },
    http_status: { type: 'integer' },
    changed_fields: { type: 'array', items: { type: 'string' } },
    client_ip: nullableString,
    prev_mac: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    mac: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  },
};

function json(ref: string): JsonObject {
  return { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } };
}

/** A response carrying one versioned resource and its ETag. */
function versionedResponse(schema: string, status: string, description: string): JsonObject {
  return {
    [status]: {
      description,
      headers: { ETag: { schema: { type: 'string' } } },
      content: json(schema),
    },
  };
}

function transactionResponse(status: string, description: string): JsonObject {
  return versionedResponse('Transaction', status, description);
}

/** The 201 of a create: Location, ETag and the created resource. */
function createdResponse(schema: string): JsonObject {
  return {
    '201': {
      description: 'Created',
      headers: {
        Location: { schema: { type: 'string' } },
        ETag: { schema: { type: 'string' } },
        ...rateLimitHeaders,
      },
      content: json(schema),
    },
  };
}

const idempotencyKeyParam = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: idempotencyKeySchema,
};
const accountIdParam = { name: 'id', in: 'path', required: true, schema: accountIdSchema };
const accountNotFound = 'no such account, or not visible to the caller';

/** Public routes sit behind the per-IP limit too. */
const publicErrors = {
  '429': problem('rate_limited', { ...retryAfter, ...rateLimitHeaders }),
  '500': problem('internal_error'),
};

/** The OpenAPI 3.1 document, built from the same JSON Schemas that validate requests. */
export function openApiDocument(): JsonObject {
  const decide = (verb: string) => ({
    summary: `${verb} a pending transaction (managers; never their own)`,
    parameters: [idParam],
    responses: securedResponses(transactionResponse('200', `${verb}d`), {
      notFound: 'no such transaction, or not visible to the caller',
      body: true,
      versioned: true,
    }),
  });
  const transactionNotFound = 'no such transaction, or not visible to the caller';
  const setStatus = (verb: string, effect: string) => ({
    summary: `${verb} an account: ${effect} (a manager of its department, after step-up)`,
    parameters: [accountIdParam, ifMatch(false)],
    responses: securedResponses(versionedResponse('Account', '200', `${verb}d`), {
      notFound: accountNotFound,
      body: true,
      ifMatch: 'optional',
    }),
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Verdict transactions API',
      version: '0.1.0',
      description:
        'A banking transactions API. Every call needs an OAuth access token (RFC 9068 JWT) in the ' +
        'Authorization header; every decision is made by the policy bundle. Errors are RFC 9457 ' +
        `problem details with a stable \`code\`. Bodies are JSON, at most ${BODY_LIMIT_BYTES} bytes. ` +
        'A method a path does not have answers 405 `method_not_allowed` with `Allow`; a path the API ' +
        'does not have answers 404 `not_found`, whatever the method.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths: {
      '/transactions': {
        post: {
          summary: 'Create a transaction',
          parameters: [idempotencyKeyParam],
          requestBody: { required: true, content: json('TransactionCreate') },
          responses: securedResponses(createdResponse('Transaction'), {
            notFound: accountNotFound,
            body: true,
            idempotent: true,
          }),
        },
        get: {
          summary: 'List the transactions the caller may see, newest first',
          parameters: queryParams(listQuerySchema),
          responses: securedResponses(
            { '200': { description: 'A page', headers: rateLimitHeaders, content: json('TransactionPage') } },
            {},
          ),
        },
      },
      '/transactions/{id}': {
        get: {
          summary: 'Read a transaction',
          parameters: [idParam],
          responses: securedResponses(transactionResponse('200', 'The transaction'), {
            notFound: transactionNotFound,
          }),
        },
        patch: {
          summary: 'Change the note or category',
          parameters: [idParam, ifMatch(true)],
          requestBody: { required: true, content: json('TransactionPatch') },
          responses: securedResponses(transactionResponse('200', 'Updated'), {
            notFound: transactionNotFound,
            body: true,
            ifMatch: 'required',
          }),
        },
        delete: {
          summary: 'Delete a transaction',
          parameters: [idParam, ifMatch(false)],
          responses: securedResponses(
            { '204': { description: 'Deleted' } },
            { notFound: transactionNotFound, ifMatch: 'optional' },
          ),
        },
      },
      '/transactions/{id}/approve': { post: decide('Approve') },
      '/transactions/{id}/reject': { post: decide('Reject') },
      '/accounts': {
        post: {
          summary: 'Open an account (customers for themselves; listed service clients for anyone)',
          parameters: [idempotencyKeyParam],
          requestBody: { required: true, content: json('AccountOpen') },
          responses: securedResponses(createdResponse('Account'), { body: true, idempotent: true }),
        },
        get: {
          summary: 'List the accounts the caller may see, newest first',
          parameters: queryParams(accountListQuerySchema),
          responses: securedResponses(
            { '200': { description: 'A page', headers: rateLimitHeaders, content: json('AccountPage') } },
            {},
          ),
        },
      },
      '/accounts/{id}': {
        get: {
          summary: 'Read an account',
          parameters: [accountIdParam],
          responses: securedResponses(versionedResponse('Account', '200', 'The account'), {
            notFound: accountNotFound,
          }),
        },
      },
      '/accounts/{id}/freeze': { post: setStatus('Freeze', 'no new transaction and no approval') },
      '/accounts/{id}/unfreeze': { post: setStatus('Unfreeze', 'open again') },
      '/audit': {
        get: {
          summary: 'The audit trail, newest first (auditors): a page, or every record as JSON lines',
          parameters: queryParams(auditQuerySchema),
          responses: securedResponses(
            {
              '200': {
                description: 'A page (`format=json`) or every matching record (`format=jsonl`)',
                headers: rateLimitHeaders,
                content: {
                  ...json('AuditPage'),
                  'application/x-ndjson': { schema: { type: 'string' } },
                },
              },
            },
            {},
          ),
        },
      },
      '/health/live': {
        get: {
          summary: 'Liveness',
          security: [],
          responses: { '200': { description: 'Alive' }, '500': problem('internal_error') },
        },
      },
      '/health/ready': {
        get: {
          summary: 'Readiness: database and key set usable',
          security: [],
          responses: {
            '200': { description: 'Ready' },
            ...publicErrors,
            '503': problem('not_ready: a dependency is down'),
          },
        },
      },
      '/.well-known/oauth-protected-resource': {
        get: {
          summary: 'RFC 9728 protected-resource metadata: where to get a token for this API',
          description:
            'Served when RESOURCE_URL is set (behind the gateway); every Bearer challenge then carries ' +
            'resource_metadata="<RESOURCE_URL>/.well-known/oauth-protected-resource".',
          security: [],
          responses: {
            '200': {
              description: 'The metadata document',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: [
                      'resource',
                      'authorization_servers',
                      'scopes_supported',
                      'bearer_methods_supported',
                    ],
                    properties: {
                      resource: { type: 'string', format: 'uri' },
                      authorization_servers: { type: 'array', items: { type: 'string', format: 'uri' } },
                      scopes_supported: { type: 'array', items: { type: 'string' } },
                      bearer_methods_supported: {
                        type: 'array',
                        items: { type: 'string', enum: ['header'] },
                      },
                      resource_name: { type: 'string' },
                      resource_documentation: { type: 'string', format: 'uri' },
                    },
                  },
                },
              },
            },
            '404': problem('not_found: RESOURCE_URL is not set'),
            ...publicErrors,
          },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'OpenAPI' }, ...publicErrors },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (RFC 9068 access token)' },
      },
      schemas: {
        TransactionCreate: component(createTransactionSchema),
        TransactionPatch: component(patchTransactionSchema),
        Transaction: component(transactionSchema),
        TransactionPage: component({
          ...transactionPageSchema,
          properties: {
            ...transactionPageSchema.properties,
            items: { type: 'array', items: { $ref: '#/components/schemas/Transaction' } },
          },
        }),
        AccountOpen: component(openAccountSchema),
        Account: component(accountSchema),
        AccountPage: component({
          ...accountPageSchema,
          properties: {
            ...accountPageSchema.properties,
            items: { type: 'array', items: { $ref: '#/components/schemas/Account' } },
          },
        }),
        AuditRecord: auditRecordSchema,
        AuditPage: {
          type: 'object',
          additionalProperties: false,
          required: ['items', 'next_cursor'],
          properties: {
            items: { type: 'array', items: { $ref: '#/components/schemas/AuditRecord' } },
            next_cursor: { ...nullableString, description: 'Pass as `cursor` for the next page.' },
          },
        },
        Problem: problemSchema,
      },
    },
  };
}
