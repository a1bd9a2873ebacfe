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

function problem(description: string): JsonObject {
  return {
    description,
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

const rateLimitHeaders = {
  'RateLimit-Limit': { schema: { type: 'integer' } },
  'RateLimit-Remaining': { schema: { type: 'integer' } },
  'RateLimit-Reset': { schema: { type: 'integer' }, description: 'Seconds until the window resets.' },
};

const securedErrors = {
  '400': problem('invalid_request (malformed Authorization header) or validation_failed'),
  '401': problem('invalid_token, or insufficient_user_authentication (RFC 9470 step-up)'),
  '403': problem('forbidden, insufficient_scope or policy_no_decision'),
  '429': problem('rate_limited'),
  '500': problem('internal_error'),
  '503': problem('authorization_unavailable or authorization_server_unavailable'),
};

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const ifMatch = (required: boolean) => ({
  name: 'If-Match',
  in: 'header',
  required,
  schema: { type: 'string' },
  description: 'The ETag of the version being changed.',
});

function json(ref: string): JsonObject {
  return { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } };
}

function transactionResponse(status: string, description: string): JsonObject {
  return {
    [status]: {
      description,
      headers: { ETag: { schema: { type: 'string' } } },
      content: json('Transaction'),
    },
  };
}

/** The OpenAPI 3.1 document, built from the same JSON Schemas that validate requests. */
export function openApiDocument(): JsonObject {
  const listParams = Object.entries(listQuerySchema.properties).map(([name, schema]) => ({
    name,
    in: 'query',
    required: false,
    schema,
  }));
  const decide = (verb: string) => ({
    summary: `${verb} a pending transaction (managers; never their own)`,
    parameters: [idParam],
    responses: { ...transactionResponse('200', `${verb}d`), '404': problem('not_found'), ...securedErrors },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Verdict transactions API',
      version: '0.1.0',
      description:
        'A banking transactions API. Every call needs an OAuth access token (RFC 9068 JWT) in the ' +
        'Authorization header; every decision is made by the policy bundle. Errors are RFC 9457 ' +
        `problem details with a stable \`code\`. Bodies are JSON, at most ${BODY_LIMIT_BYTES} bytes.`,
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths: {
      '/transactions': {
        post: {
          summary: 'Create a transaction',
          parameters: [
            { name: 'Idempotency-Key', in: 'header', required: false, schema: idempotencyKeySchema },
          ],
          requestBody: { required: true, content: json('TransactionCreate') },
          responses: {
            '201': {
              description: 'Created',
              headers: { Location: { schema: { type: 'string' } }, ...rateLimitHeaders },
              content: json('Transaction'),
            },
            '409': problem('idempotency_conflict'),
            '413': problem('payload_too_large'),
            '415': problem('unsupported_media_type'),
            ...securedErrors,
          },
        },
        get: {
          summary: 'List the transactions the caller may see, newest first',
          parameters: listParams,
          responses: {
            '200': { description: 'A page', headers: rateLimitHeaders, content: json('TransactionPage') },
            ...securedErrors,
          },
        },
      },
      '/transactions/{id}': {
        get: {
          summary: 'Read a transaction',
          parameters: [idParam],
          responses: {
            ...transactionResponse('200', 'The transaction'),
            '404': problem('not_found'),
            ...securedErrors,
          },
        },
        patch: {
          summary: 'Change the note or category',
          parameters: [idParam, ifMatch(true)],
          requestBody: { required: true, content: json('TransactionPatch') },
          responses: {
            ...transactionResponse('200', 'Updated'),
            '404': problem('not_found'),
            '412': problem('precondition_failed'),
            '428': problem('precondition_required'),
            ...securedErrors,
          },
        },
        delete: {
          summary: 'Delete a transaction',
          parameters: [idParam, ifMatch(false)],
          responses: {
            '204': { description: 'Deleted' },
            '404': problem('not_found'),
            '412': problem('precondition_failed'),
            ...securedErrors,
          },
        },
      },
      '/transactions/{id}/approve': { post: decide('Approve') },
      '/transactions/{id}/reject': { post: decide('Reject') },
      '/health/live': {
        get: { summary: 'Liveness', security: [], responses: { '200': { description: 'Alive' } } },
      },
      '/health/ready': {
        get: {
          summary: 'Readiness: database and key set usable',
          security: [],
          responses: { '200': { description: 'Ready' }, '503': problem('not ready') },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI' } } },
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
        Problem: problemSchema,
      },
    },
  };
}
