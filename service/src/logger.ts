import { pino, type DestinationStream, type Logger } from 'pino';

/** Paths that must never reach a log line, whatever a caller passes in. */
const REDACT = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  'access_token',
  '*.token',
  '*.access_token',
  'claims',
];

/** A JSON-lines logger; tests pass a destination to capture lines. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'verdict' }, redact: { paths: REDACT, censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
