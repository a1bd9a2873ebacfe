// The gateway as a local process: renders compose/gateway/nginx.conf.template (the container
// renders the same file with envsubst) and runs Debian's nginx as the current user, with its own
// prefix, pid, temp and cache directories under a run directory — no system nginx, no root.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** compose/gateway: the template, the njs module and the included snippets. */
export const GATEWAY_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'gateway');
export const TEMPLATE = join(GATEWAY_DIR, 'nginx.conf.template');

/** Every `${NAME}` of a template: its variables, all required. */
export function templateVariables(template) {
  return [...new Set([...template.matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)].map((match) => match[1]))].sort();
}

/** A `host:port` an upstream list may hold (what entrypoint.sh accepts too). */
const UPSTREAM_ADDRESS = /^[A-Za-z0-9._-]+:[0-9]+$/;

/**
 * The value of a `*_UPSTREAMS` variable — space-separated `host:port`s, one per replica — as the
 * `server` directives of its upstream block, on one line. entrypoint.sh expands it the same way.
 */
export function upstreamServers(name, list) {
  const addresses = String(list)
    .split(/\s+/)
    .filter((address) => address !== '');
  if (addresses.length === 0) throw new Error(`gateway template: ${name} names no upstream`);
  const bad = addresses.find((address) => !UPSTREAM_ADDRESS.test(address));
  if (bad !== undefined) throw new Error(`gateway template: ${name} holds "${bad}", not a host:port`);
  return addresses.map((address) => `server ${address};`).join(' ');
}

/**
 * Fills every `${NAME}` from `values` (as envsubst does); a missing or multi-line value is an error.
 * A `*_UPSTREAMS` value is a list of addresses, rendered by `upstreamServers`.
 */
export function renderTemplate(template, values) {
  const missing = templateVariables(template).filter((name) => values[name] === undefined);
  if (missing.length > 0) throw new Error(`gateway template: no value for ${missing.join(', ')}`);
  return template.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_, name) => {
    if (name.endsWith('_UPSTREAMS')) return upstreamServers(name, values[name]);
    const value = String(values[name]);
    if (/[\n\r;{}]/.test(value)) throw new Error(`gateway template: ${name} must be one plain value`);
    return value;
  });
}

/**
 * Renders the configuration into `runDir` (created, mode 0700: it holds the JWT cache) and starts
 * nginx on it. `values` are the template's variables besides RUN_DIR and GATEWAY_DIR. Resolves once
 * nginx accepted its configuration; `ready` tells when it answers.
 */
export function startNginx({ runDir, values, stdio = ['ignore', 'inherit', 'inherit'] }) {
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  chmodSync(runDir, 0o700);
  const config = renderTemplate(readFileSync(TEMPLATE, 'utf8'), {
    RUN_DIR: runDir,
    GATEWAY_DIR,
    ...values,
  });
  const file = join(runDir, 'nginx.conf');
  writeFileSync(file, config, { mode: 0o600 });
  // As root (a container build, CI), workers would drop to "nobody" and lose the run directory:
  // they stay the current user, as for everyone else.
  const user = process.getuid?.() === 0 ? ['-g', 'user root;'] : [];
  return spawn('nginx', ['-p', runDir, '-c', file, '-e', 'stderr', ...user], { stdio });
}
