/** A PostgreSQL server started by `startPostgres` (scripts/servers/postgres.mjs). */
export interface PostgresServer {
  /** `postgres://verdict@127.0.0.1:<port>/verdict` (trust authentication, no password). */
  readonly url: string;
  readonly port: number;
  /** The cluster's directory (data/ and the Unix socket's socket/). */
  readonly dir: string;
  /** Shuts it down fast and removes its temporary directory. */
  stop(): Promise<void>;
}

/**
 * Starts Debian's newest PostgreSQL on 127.0.0.1 (`port`, or a free one), a fresh cluster with the
 * superuser and database `verdict`, and resolves once it accepts connections (its own process).
 * Run as root, the server runs as `nobody`. A `dir` given is kept by `stop()` and its cluster reused
 * by the next start (run as root it is chowned to `nobody`, who must be able to reach it); the
 * default temporary one is removed.
 */
export function startPostgres(options?: {
  dir?: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<{ url: string; port: number; dir: string; stop(): Promise<void> }>;
