#!/usr/bin/env node
// `npm start`: builds the compiled JavaScript (`npm run build`; tsc is incremental, so a build with
// nothing changed takes seconds) and runs the local stack on loopback — authorization server, bundle
// server, sidecar, service (SQLite, demo data) and the gateway on https://api.demo.example:8443 —
// until Ctrl-C (scripts/stack.mjs; `npm start -- --quiet` puts each part's log under data/logs/,
// `npm start -- --replicas 2` runs two service + sidecar pairs on PostgreSQL and Redis).
// DEVELOPMENT ONLY: development users, keys and certificates under data/.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runStack } from './stack.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) {
  process.stderr.write('start: npm run build failed\n');
  process.exit(built.status ?? 1);
}
await runStack();
