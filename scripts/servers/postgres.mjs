// Starts Debian's PostgreSQL for tests and the local stack: a throwaway cluster (initdb) in a
// temporary directory, trust authentication for the superuser `verdict` and a `verdict` database,
// listening on 127.0.0.1 on a free port with its Unix socket inside that directory, durability off
// (fsync, synchronous_commit, full_page_writes: the data is thrown away). `postgres` runs as a child
// process that stop() ends with a fast shutdown, then the directory goes.
// Usage: `const pg = await startPostgres(); ...; await pg.stop();`
//
// PostgreSQL refuses to run as root ("root" execution of the PostgreSQL server is not permitted),
// and the tests run as root on these machines. Then initdb, postgres and createdb run as `nobody`
// through setpriv (util-linux; it execs, so the child's pid is postgres's own and signals reach it,
// where runuser and su fork a parent of their own), and the cluster directory is chowned to it.
// Run as any other user, they run as that user.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, HOST, spawnServer, waitUntilReady } from './child-server.mjs';

const USER = 'verdict';
const DATABASE = 'verdict';
/** Where Debian's postgresql-<major> packages put their programs. */
const DEBIAN_ROOT = '/usr/lib/postgresql';
/** The unprivileged user the server runs as when we are root (Debian's `nobody`, 65534:65534). */
const UNPRIVILEGED = { uid: 65534, gid: 65534 };
/** How long postgres may take to accept connections once started (initdb apart). */
const START_TIMEOUT_MS = 30_000;
/** How long it may take to exit after SIGINT (fast shutdown) before it is killed. */
const STOP_TIMEOUT_MS = 5_000;

/** The bin directory of the newest PostgreSQL Debian installed, or a clear error naming the fix. */
function binDir() {
  const majors = existsSync(DEBIAN_ROOT)
    ? readdirSync(DEBIAN_ROOT)
        .filter(
          (name) => /^\d+(\.\d+)?$/.test(name) && existsSync(join(DEBIAN_ROOT, name, 'bin', 'postgres')),
        )
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0)
    throw new Error(
      `PostgreSQL is not installed (no ${DEBIAN_ROOT}/<version>/bin/postgres): run \`npm run bootstrap -- --test\`, ` +
        "which installs Debian's postgresql package (or apt-get install postgresql)",
    );
  return join(DEBIAN_ROOT, majors[0], 'bin');
}

/** `command args…` as the server's user: through setpriv to `nobody` when we are root. */
function asServerUser(command, args) {
  if (process.getuid?.() !== 0) return { command, args };
  return {
    command: 'setpriv',
    args: [`--reuid=${UNPRIVILEGED.uid}`, `--regid=${UNPRIVILEGED.gid}`, '--clear-groups', command, ...args],
  };
}

/** Runs a program to its end as the server's user; rejects with its output when it fails. */
function run(command, args) {
  const { command: file, args: argv } = asServerUser(command, args);
  return new Promise((resolve, reject) => {
    // cwd: the server's user may not be able to enter ours (root's home).
    execFile(file, argv, { cwd: tmpdir(), env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else
        reject(
          new Error(
            `${command.split('/').pop()} failed (${error.message.split('\n')[0]}):\n${stderr}${stdout}`,
          ),
        );
    });
  });
}

/** Gives the tree at `path` to the server's user, when we are root. */
function chownTree(path) {
  if (process.getuid?.() !== 0) return;
  chownSync(path, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child);
    else chownSync(child, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
  }
}

/**
 * Whether the postmaster of `dataDir` is process `pid` and accepts connections: postmaster.pid's
 * first line is its pid and its eighth its status, `ready` once it does. This is our own server,
 * never another one already on the port.
 */
function ready(dataDir, pid) {
  try {
    const lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return Number(lines[0]) === pid && lines[7]?.trim() === 'ready';
  } catch {
    return false;
  }
}

/**
 * Starts PostgreSQL on 127.0.0.1 (`port`, or a free one) with its cluster in `dir` (or a new
 * temporary directory, removed by `stop()`), creates the `verdict` database and resolves once it
 * accepts connections. A `dir` given is kept by `stop()`, and the cluster in it is reused by the
 * next start; run as root, it is chowned to `nobody`, which must be able to reach it. `log` receives the server's output line by line. Throws a clear error when
 * PostgreSQL is not installed or does not start.
 */
export async function startPostgres({ dir, port, log = () => undefined } = {}) {
  const bin = binDir();
  const ownDir = dir === undefined;
  const workDir = ownDir ? mkdtempSync(join(tmpdir(), 'verdict-postgres-')) : dir;
  if (!ownDir) mkdirSync(workDir, { recursive: true });
  const dataDir = join(workDir, 'data');
  const socketDir = join(workDir, 'socket');
  const cleanUp = () => {
    if (ownDir) rmSync(workDir, { recursive: true, force: true });
  };
  // A cluster already in a given `dir` (a previous start's) is started again, not initialised.
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  try {
    mkdirSync(socketDir, { recursive: true });
    chownTree(workDir);
    // prettier-ignore
    if (fresh) await run(join(bin, 'initdb'), [
      '--pgdata', dataDir, '--username', USER, '--auth', 'trust',
      '--encoding', 'UTF8', '--locale', 'C', '--no-sync', '--no-instructions',
    ]);
  } catch (error) {
    cleanUp();
    throw error;
  }

  const listenPort = port ?? (await freePort());
  // prettier-ignore
  const serverArgs = [
    '-D', dataDir, '-h', HOST, '-p', String(listenPort), '-k', socketDir,
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
    '-c', 'max_connections=200', '-c', 'log_min_messages=warning',
  ];
  const { command, args } = asServerUser(join(bin, 'postgres'), serverArgs);
  const server = spawnServer(command, args, { cwd: tmpdir(), log });
  try {
    await waitUntilReady(server, {
      ready: () => ready(dataDir, server.child.pid),
      timeoutMs: START_TIMEOUT_MS,
      exitedError: (exit) =>
        new Error(
          `postgres exited before accepting connections (${exit.error?.message ?? `code ${exit.code}, signal ${exit.signal}`}):\n${server.output.join('\n')}`,
        ),
      timeoutError: () =>
        new Error(
          `postgres did not accept connections on ${HOST}:${listenPort} within ${START_TIMEOUT_MS} ms:\n${server.output.join('\n')}`,
        ),
    });
  } catch (error) {
    cleanUp();
    throw error;
  }
  try {
    // Through the socket in our directory: our server's, whatever else listens on the port.
    if (fresh)
      await run(join(bin, 'createdb'), [
        '--host',
        socketDir,
        '--port',
        String(listenPort),
        '--username',
        USER,
        DATABASE,
      ]);
  } catch (error) {
    await server.kill();
    cleanUp();
    throw error;
  }

  let stopped;
  return {
    url: `postgres://${USER}@${HOST}:${listenPort}/${DATABASE}`,
    port: listenPort,
    dir: workDir,
    /** Ends postgres (SIGINT: fast shutdown, SIGKILL after 5 s) and removes its temporary directory. */
    stop() {
      stopped ??= (async () => {
        await server.stop('SIGINT', STOP_TIMEOUT_MS);
        cleanUp();
      })();
      return stopped;
    },
  };
}
