import { ConfigError, loadConfig } from './config.js';
import { consoleOrigin } from './console/console.js';
import { createLogger } from './logger.js';
import { startSidecar } from './sidecar.js';

/** `npm start -w sidecar`: read the configuration, start, stop gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sidecar: bad configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const sidecar = await startSidecar(config, { logger, defaultMetrics: true });
  // The console's key goes to the terminal once, never through the JSON logger (log shippers).
  if (sidecar.console !== undefined) {
    const origin = consoleOrigin(config.host, Number(new URL(sidecar.url).port));
    process.stderr.write(`sidecar: policy console (loopback only): ${sidecar.console.loginUrl(origin)}\n`);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'sidecar stopping');
    sidecar.close().then(
      () => {
        logger.info({}, 'sidecar stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ error: String(error) }, 'sidecar did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`sidecar: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
