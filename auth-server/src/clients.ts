import type { ClientMetadata } from 'oidc-provider';

/** The API's scopes (the architecture's scope list). */
export const API_SCOPES = [
  'transactions:read',
  'transactions:write',
  'transactions:delete',
  'transactions:approve',
  'accounts:read',
  'accounts:write',
  'audit:read',
] as const;

export type ApiScope = (typeof API_SCOPES)[number];

/** What a client is, which decides its grants, its users and the claims of its tokens. */
export type ClientKind =
  /** A user-facing app: authorization code + PKCE, refresh tokens with offline_access. */
  | 'app'
  /** An AI agent acting for a user: authorization code + PKCE, `agent` and limit claims, no refresh tokens. */
  | 'agent'
  /** A service acting for itself: client credentials, `sub == client_id`, no roles. */
  | 'service'
  /** The API gateway: introspection only. */
  | 'gateway';

/** A registered development client. */
export interface DevClient {
  readonly id: string;
  readonly kind: ClientKind;
  /** A public client has no secret (token_endpoint_auth_method none). */
  readonly public: boolean;
  /** Who may log in through it: customers, staff or both (apps and agents only). */
  readonly users?: 'customers' | 'staff' | 'any';
  /** The API scopes it may be granted. */
  readonly scopes: readonly ApiScope[];
  readonly description: string;
}

/** The client that exchanges opaque tokens for JWTs at the introspection endpoint. */
export const GATEWAY_CLIENT_ID = 'api-gateway';

/**
 * Where the user-facing clients are sent back with the code. Nothing needs to listen there: the
 * token CLI reads the code from the redirect without following it.
 */
export const REDIRECT_URIS = ['http://127.0.0.1/callback', 'http://localhost/callback'] as const;

const CUSTOMER_SCOPES: readonly ApiScope[] = [
  'transactions:read',
  'transactions:write',
  'transactions:delete',
  'accounts:read',
  'accounts:write',
];
const AGENT_SCOPES: readonly ApiScope[] = ['transactions:read', 'transactions:write', 'accounts:read'];

/**
 * DEVELOPMENT ONLY. The clients, with ids that policies/data/service-clients.yaml and
 * policy-tests/fixtures.yaml use (service clients are keyed by client_id there).
 */
export const DEV_CLIENTS: readonly DevClient[] = Object.freeze([
  {
    id: 'web-app',
    kind: 'app',
    public: true,
    users: 'customers',
    scopes: CUSTOMER_SCOPES,
    description: 'Verdict online banking',
  },
  {
    id: 'staff-app',
    kind: 'app',
    public: true,
    users: 'staff',
    scopes: API_SCOPES,
    description: 'Verdict staff portal',
  },
  {
    id: 'budget-bot',
    kind: 'agent',
    public: false,
    users: 'any',
    scopes: AGENT_SCOPES,
    description: 'Budget Bot, an AI agent with a server-side secret',
  },
  {
    id: 'chat-app',
    kind: 'agent',
    public: true,
    users: 'any',
    scopes: AGENT_SCOPES,
    description: 'Chat App, an AI agent that runs on your device',
  },
  {
    id: 'payments-gateway',
    kind: 'service',
    public: false,
    scopes: ['transactions:read', 'transactions:write', 'accounts:read', 'accounts:write'],
    description: 'Payments gateway service',
  },
  {
    id: 'reporting',
    kind: 'service',
    public: false,
    scopes: ['transactions:read', 'accounts:read'],
    description: 'Reporting service',
  },
  {
    id: 'audit-exporter',
    kind: 'service',
    public: false,
    scopes: ['audit:read'],
    description: 'Audit log exporter',
  },
  {
    id: GATEWAY_CLIENT_ID,
    kind: 'gateway',
    public: false,
    scopes: [],
    description: 'API gateway (phantom token exchange)',
  },
]);

const BY_ID = new Map(DEV_CLIENTS.map((client) => [client.id, client]));

/** The client with this id, or undefined. */
export function findClient(id: string): DevClient | undefined {
  return BY_ID.get(id);
}

/** The confidential clients other than the gateway, whose secrets live under KEYS_DIR. */
export function confidentialClientIds(): string[] {
  return DEV_CLIENTS.filter((client) => !client.public && client.kind !== 'gateway').map(
    (client) => client.id,
  );
}

function grants(client: DevClient): Pick<ClientMetadata, 'grant_types' | 'response_types' | 'redirect_uris'> {
  switch (client.kind) {
    case 'app':
      return {
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [...REDIRECT_URIS],
      };
    case 'agent':
      return {
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [...REDIRECT_URIS],
      };
    case 'service':
      return { grant_types: ['client_credentials'], response_types: [], redirect_uris: [] };
    case 'gateway':
      return { grant_types: [], response_types: [], redirect_uris: [] };
  }
}

/** The clients as oidc-provider metadata, with their secrets. */
export function clientMetadata(secrets: Readonly<Record<string, string>>): ClientMetadata[] {
  return DEV_CLIENTS.map((client) => {
    const secret = secrets[client.id];
    if (!client.public && secret === undefined) throw new Error(`no secret for client ${client.id}`);
    return {
      client_id: client.id,
      client_name: client.description,
      ...grants(client),
      ...(client.public
        ? { token_endpoint_auth_method: 'none' }
        : { token_endpoint_auth_method: 'client_secret_basic', client_secret: secret }),
    };
  });
}
