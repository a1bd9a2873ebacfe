// Starts Debian's redis-server for tests and the local stack: loopback only, a free port, nothing
// persisted (no RDB, no AOF), its working directory a fresh temporary one, not daemonized: a child
// process that stop() ends. Usage: `const redis = await startRedis(); ...; await redis.stop();`
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, HOST, spawnServer, waitUntilReady } from './child-server.mjs';

/** How long redis-server may take to answer (PING, INFO) once started. */
const START_TIMEOUT_MS = 15_000;
/** How long it may take to exit after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 5_000;

/**
 * The process id of the Redis answering on `port` (from `INFO server`), or undefined when none
 * answers: a start is done when its own process answers, not another one already on the port.
 */
function serverPid(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let answer = '';
    const done = (pid) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(1000, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      const match = /\r\nprocess_id:(\d+)\r\n/.exec(answer);
      if (match !== null) done(Number(match[1]));
      else if (answer.startsWith('-')) done(undefined);
    });
  });
}

/**
 * Starts redis-server on 127.0.0.1 (`port`, or a free one) with its directory `dir` (or a new
 * temporary one, removed by `stop()`), and resolves once it answers. `log` receives its output
 * line by line. Throws a clear error when redis-server is not installed or does not start.
 */
export async function startRedis({ dir, port, log = () => undefined } = {}) {
  const ownDir = dir === undefined;
  const workDir = ownDir ? mkdtempSync(join(tmpdir(), 'verdict-redis-')) : dir;
  if (!ownDir) mkdirSync(workDir, { recursive: true });
  const cleanUp = () => {
    if (ownDir) rmSync(workDir, { recursive: true, force: true });
  };
  const listenPort = port ?? (await freePort());
  // prettier-ignore
  const args = [
    '--bind', HOST, '--port', String(listenPort), '--protected-mode', 'yes',
    '--save', '', '--appendonly', 'no', '--dir', workDir, '--daemonize', 'no',
    '--logfile', '', '--loglevel', 'notice',
  ];
  const server = spawnServer('redis-server', args, { cwd: undefined, log });
  try {
    await waitUntilReady(server, {
      ready: async () => (await serverPid(listenPort)) === server.child.pid,
      timeoutMs: START_TIMEOUT_MS,
      exitedError: (exit) =>
        exit.error !== undefined && /** @type {NodeJS.ErrnoException} */ (exit.error).code === 'ENOENT'
          ? new Error(
              "redis-server not found on PATH: install Debian's redis-server package (apt-get install redis-server)",
            )
          : new Error(
              `redis-server exited before answering (${exit.error?.message ?? `code ${exit.code}, signal ${exit.signal}`}):\n${server.output.join('\n')}`,
            ),
      timeoutError: () =>
        new Error(
          `redis-server did not answer on ${HOST}:${listenPort} within ${START_TIMEOUT_MS} ms:\n${server.output.join('\n')}`,
        ),
    });
  } catch (error) {
    cleanUp();
    throw error;
  }

  let stopped;
  return {
    url: `redis://${HOST}:${listenPort}`,
    port: listenPort,
    dir: workDir,
    /** Ends redis-server (SIGTERM, SIGKILL after 5 s) and removes its temporary directory. */
    stop() {
      stopped ??= (async () => {
        await server.stop('SIGTERM', STOP_TIMEOUT_MS);
        cleanUp();
      })();
      return stopped;
    },
  };
}
