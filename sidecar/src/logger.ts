import { hostname } from 'node:os';
import type { LogLevel } from './config.js';

const LEVEL_NUMBERS: Readonly<Record<Exclude<LogLevel, 'silent'>, number>> = {
  fatal: 60,
  error: 50,
  warn: 40,
  info: 30,
  debug: 20,
  trace: 10,
};

/** Fields of one log line; never a token, an input or a secret. */
export type LogFields = Readonly<Record<string, unknown>>;

/** A structured logger: one JSON line per call, in pino's shape (`level`, `time`, `pid`, `hostname`, `msg`). */
export interface Logger {
  error(fields: LogFields, msg: string): void;
  warn(fields: LogFields, msg: string): void;
  info(fields: LogFields, msg: string): void;
  debug(fields: LogFields, msg: string): void;
}

/** Where lines go; `process.stdout` by default, an array-collecting function in tests. */
export type LogWrite = (line: string) => void;

/**
 * A pino-compatible JSON-lines logger without dependencies: a log shipper that reads pino output reads
 * this. Lines below `level` cost one comparison.
 */
export function createLogger(
  level: LogLevel,
  write: LogWrite = (line) => process.stdout.write(line),
  base: LogFields = { name: 'verdict-sidecar' },
): Logger {
  const threshold = level === 'silent' ? Infinity : LEVEL_NUMBERS[level];
  const common = { pid: process.pid, hostname: hostname(), ...base };
  const at =
    (name: keyof typeof LEVEL_NUMBERS) =>
    (fields: LogFields, msg: string): void => {
      const number = LEVEL_NUMBERS[name];
      if (number < threshold) return;
      write(`${JSON.stringify({ level: number, time: Date.now(), ...common, ...fields, msg })}\n`);
    };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

/** A logger that writes nothing (tests, library use). */
export const silentLogger: Logger = createLogger('silent');
