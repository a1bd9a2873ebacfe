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

/**
 * A JSON-lines logger on stdout; tests pass a destination to capture lines. Stdout is written
 * asynchronously (lines that arrive while a write is in flight go out together, what is buffered is
 * flushed synchronously on exit), so a request's line costs no system call of its own under load.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'verdict' }, redact: { paths: REDACT, censor: '[redacted]' } };
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}
