/** A redis-server started by `startRedis` (scripts/servers/redis.mjs). */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Its working directory. */
  readonly dir: string;
  /** Ends it and removes its temporary directory. */
  stop(): Promise<void>;
}

/**
 * Starts Debian's redis-server on 127.0.0.1 (`port`, or a free one), persisting nothing, and
 * resolves once it answers (its own process, not another one on the port). A `dir` given is kept
 * by `stop()`; the default temporary one is removed.
 */
export function startRedis(options?: {
  dir?: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<{ url: string; port: number; dir: string; stop(): Promise<void> }>;
