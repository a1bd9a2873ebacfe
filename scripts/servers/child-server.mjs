// What the throwaway servers of scripts/servers/ (PostgreSQL, Redis) share: a free loopback port,
// and a server process whose output is kept for error messages, waited for until it is ready, and
// stopped with a signal and then SIGKILL.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export const HOST = '127.0.0.1';

/** A port nobody listens on now (the kernel's choice). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `command args…` with its output piped: every line goes to `log`, and the last 50 are kept
 * in `output` for the errors that say why a start failed. `exit` is undefined while it runs.
 */
export function spawnServer(command, args, { cwd, log }) {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  /** @type {string[]} */
  const output = [];
  let pending = '';
  const onData = (chunk) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      output.push(line);
      if (output.length > 50) output.shift();
      log(line);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  /** @type {Promise<{ code: number | null; signal: string | null; error?: Error }>} */
  const exited = new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  /** @type {{ code: number | null; signal: string | null; error?: Error } | undefined} */
  let exit;
  void exited.then((result) => {
    exit = result;
  });
  return {
    child,
    output,
    exited,
    get exit() {
      return exit;
    },
    /** Sends `signal`, then SIGKILL after `timeoutMs`; resolves once it has exited. */
    async stop(signal, timeoutMs) {
      if (exit !== undefined) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
    /** Kills it at once (a start that failed); resolves once it has exited. */
    async kill() {
      if (exit !== undefined) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Polls `ready()` every 50 ms until it is true. When the server exits first, throws
 * `exitedError(exit)`; when `timeoutMs` pass first, kills it and throws `timeoutError()`.
 */
export async function waitUntilReady(server, { ready, timeoutMs, exitedError, timeoutError }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exit !== undefined) throw exitedError(server.exit);
    if (await ready()) return;
    if (Date.now() > deadline) {
      await server.kill();
      throw timeoutError();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
