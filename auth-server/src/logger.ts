import { pino, type DestinationStream, type Logger } from 'pino';

/** Paths that must never reach a log line, whatever a caller passes in. */
const REDACT = [
  'authorization',
  'headers.authorization',
  'token',
  'access_token',
  'refresh_token',
  'client_secret',
  'password',
  'code',
  'code_verifier',
];

/** A JSON-lines logger; tests pass a destination to capture lines. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'verdict-auth-server' },
    redact: { paths: REDACT, censor: '[redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
