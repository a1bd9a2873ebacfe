import { createServer } from 'node:http';
import { createAuthServer } from './app.js';
import { confidentialClientIds, GATEWAY_CLIENT_ID } from './clients.js';
import { ConfigError, loadConfig, type AuthServerConfig } from './config.js';
import { KeyFileError, loadKeyMaterial } from './keys.js';
import { createLogger } from './logger.js';

function fail(message: string): never {
  process.stderr.write(`verdict-auth-server: ${message}\n`);
  process.exit(2);
}

function readConfig(): AuthServerConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(`configuration error: ${error.message}`);
    throw error;
  }
}

/** DEVELOPMENT ONLY. Reads the configuration and keys, listens until SIGTERM or SIGINT. */
async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  const keys = await loadKeyMaterial({
    keysDir: config.keysDir,
    gatewayClientSecretFile: config.gatewayClientSecretFile,
    gatewayClientId: GATEWAY_CLIENT_ID,
    confidentialClientIds: confidentialClientIds(),
  }).catch((error: unknown) => {
    if (error instanceof KeyFileError) fail(`key error: ${error.message}`);
    throw error;
  });
  const provider = await createAuthServer(config, keys, logger);
  const handle = provider.callback();
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  logger.info({ url: `http://${host}:${port}`, issuer: config.issuer }, 'auth server listening');
  const stop = (signal: string): void => {
    logger.info({ signal }, 'shutting down');
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
    }, 5_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
