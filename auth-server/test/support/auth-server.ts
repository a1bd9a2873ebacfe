import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthServer } from '../../src/app.js';
import { confidentialClientIds, GATEWAY_CLIENT_ID } from '../../src/clients.js';
import { loadConfig, type Env } from '../../src/config.js';
import { loadKeyMaterial, type KeyMaterial } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';

/** A running authorization server on an ephemeral loopback port, with its keys in a temp dir. */
export interface TestAuthServer {
  readonly issuer: string;
  readonly keysDir: string;
  readonly keys: KeyMaterial;
  /** A confidential client's secret (api-gateway's included). */
  secret(clientId: string): string;
  /** Stops the server (the keys dir stays until `cleanup`). */
  stop(): Promise<void>;
  /** Stops the server and removes the keys dir it made (not one it was given). */
  cleanup(): Promise<void>;
}

/** Starts the real server in-process: config from `env`, keys from (or made in) `keysDir`. */
export async function startAuthServer(
  options: { keysDir?: string; env?: Env } = {},
): Promise<TestAuthServer> {
  const root = options.keysDir === undefined ? await mkdtemp(join(tmpdir(), 'verdict-auth-')) : undefined;
  const keysDir = options.keysDir ?? join(root ?? '', 'keys');
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadConfig({ ...options.env, ISSUER: issuer, KEYS_DIR: keysDir, LOG_LEVEL: 'silent' });
  const keys = await loadKeyMaterial({
    keysDir,
    gatewayClientSecretFile: config.gatewayClientSecretFile,
    gatewayClientId: GATEWAY_CLIENT_ID,
    confidentialClientIds: confidentialClientIds(),
  });
  const provider = await createAuthServer(config, keys, createLogger('silent'));
  const handle = provider.callback();
  server.on('request', (req, res) => {
    void handle(req, res);
  });
  const stop = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    issuer,
    keysDir,
    keys,
    secret(clientId) {
      const secret = keys.clientSecrets[clientId];
      if (secret === undefined) throw new Error(`no secret for ${clientId}`);
      return secret;
    },
    stop,
    async cleanup() {
      await stop();
      if (root !== undefined) await rm(root, { recursive: true, force: true });
    },
  };
}

/** The phantom token exchange as the gateway does it: the gateway's Basic credentials, `token=`. */
export function introspect(
  server: TestAuthServer,
  token: string,
  options: { accept?: string; clientId?: string; secret?: string } = {},
): Promise<Response> {
  const clientId = options.clientId ?? GATEWAY_CLIENT_ID;
  const secret = options.secret ?? server.secret(clientId);
  return fetch(`${server.issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      ...(options.accept === undefined ? {} : { accept: options.accept }),
    },
    body: new URLSearchParams({ token }).toString(),
  });
}
