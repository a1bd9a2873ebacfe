// CPU profiles of the servers under the benchmark's load, for bench/results/profile-*.md:
//   npm run build && node --import tsx bench/profile.ts [--seconds 10] [--out DIR] target…
// targets: minimal, embedded, sidecar-tcp (GET /transactions/{id}, warm token), minimal-list,
// embedded-list (GET /transactions?limit=100), embedded-cold (a fresh token per request).
// Each server runs with node --cpu-prof; its profile is summarized (self time by module and by
// function, bench/support/profile-summary.ts) and kept in DIR. --node-flags=... adds Node flags (e.g. --node-flags=--trace-gc), --keep keeps the servers' logs. With --cpu-only no profiler runs:
// each server's CPU time per answered request (user + system, from /proc) is printed instead, a
// figure much steadier than req/s on a shared machine.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ALICE, BenchIssuer } from './support/issuer.js';
import { Launcher, type Proc } from './support/launcher.js';
import { expectOk, started, type Started } from './support/measure.js';
import { runLoad, type LoadOptions } from './support/load.js';
import { allocationSummary, summarize, summaryMarkdown } from './support/profile-summary.js';
import { seed } from './support/seed.js';

const TARGETS = ['minimal', 'embedded', 'sidecar-tcp', 'minimal-list', 'embedded-list', 'embedded-cold'];

const args = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '10' },
    out: { type: 'string' },
    top: { type: 'string' },
    'cpu-only': { type: 'boolean' },
    'node-flags': { type: 'string' },
    keep: { type: 'boolean' },
    alloc: { type: 'boolean' },
  },
});
const targets = args.positionals.length === 0 ? ['minimal', 'embedded'] : args.positionals;
for (const target of targets)
  if (!TARGETS.includes(target)) throw new Error(`unknown target ${target}: ${TARGETS.join(', ')}`);
const seconds = Number(args.values.seconds);
const out = args.values.out ?? mkdtempSync(join(tmpdir(), 'verdict-profiles-'));
const top = Number(args.values.top ?? 25);
mkdirSync(out, { recursive: true });

const dir = mkdtempSync(join(tmpdir(), 'verdict-profile-run-'));
const issuer = await BenchIssuer.start();
const seeding = new Launcher({ dir, issuer });
const data = await seed(seeding, issuer);
const cpuOnly = args.values['cpu-only'] === true;
const extra = args.values['node-flags']?.split(' ').filter(Boolean) ?? [];
const alloc = args.values.alloc === true;
const ALLOC_DIR = join(tmpdir(), 'verdict-alloc-profiles');
const flags = [
  ...extra,
  ...(alloc ? ['--import', join(import.meta.dirname, 'support', 'alloc-profile.mjs')] : []),
  ...(cpuOnly || alloc ? [] : ['--cpu-prof', `--cpu-prof-dir=${out}`]),
];
const launcher = new Launcher({ dir, issuer, nodeFlags: flags });

/** User and system CPU seconds of a process so far (Linux /proc/<pid>/stat, clock ticks of 10 ms). */
function cpuSeconds(proc: Proc): [user: number, system: number] {
  const stat = readFileSync(`/proc/${String(proc.child.pid)}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(fields[11]) / 100, Number(fields[12]) / 100];
}
const token = await issuer.sign(ALICE);
const headers = { authorization: `Bearer ${token}` };
const item = `/transactions/${data.transactionId}`;
const list = '/transactions?limit=100';

async function start(target: string): Promise<Started> {
  if (target.startsWith('minimal')) return started(await launcher.startBenchServer('minimal-reference'));
  return started(await launcher.startStack(target === 'sidecar-tcp' ? 'sidecar-tcp' : 'embedded'));
}

try {
  for (const target of targets) {
    const server = await start(target);
    const path = target.endsWith('-list') ? list : item;
    const load: LoadOptions = {
      port: server.port,
      path,
      headers,
      connections: 16,
      warmupMs: 2000,
      durationMs: seconds * 1000,
    };
    if (target === 'embedded-cold') {
      const file = join(dir, 'cold-tokens.txt');
      writeFileSync(file, (await issuer.signMany(ALICE, Math.ceil(seconds * 4000))).join('\n'));
      Object.assign(load, { tokensFile: file });
    }
    await expectOk(target, server.port, path, { headers });
    const procs: readonly Proc[] = server.procs;
    const cpuBefore = procs.map(cpuSeconds);
    const result = await runLoad(launcher, load);
    // The warm-up's requests are not in result.requests: count them at the measured phase's rate.
    const answered = result.requests * (1 + load.warmupMs / (load.durationMs ?? 1));
    const cpu = procs.map((proc, i) => {
      const [user, system] = cpuSeconds(proc);
      const [user0, system0] = cpuBefore[i] ?? [0, 0];
      const us = (seconds: number) => ((1e6 * seconds) / answered).toFixed(0);
      return `${proc.name} ${us(user - user0 + system - system0)} µs (user ${us(user - user0)}, system ${us(system - system0)})`;
    });
    const pids = procs.map((p) => [p.name, p.child.pid] as const);
    await server.stop();
    process.stdout.write(
      `\n## ${target}: ${result.rps.toFixed(0)} 2xx/s, p99 ${result.p99Ms.toFixed(2)} ms, ${result.non2xx + result.errors} failed; CPU per request: ${cpu.join(', ')}\n`,
    );
    if (cpuOnly) continue;
    if (alloc) {
      for (const [name, pid] of pids) {
        const file = join(ALLOC_DIR, `alloc.${String(pid)}.heapprofile`);
        const named = join(out, `${target}-${name}.heapprofile`);
        writeFileSync(named, readFileSync(file));
        rmSync(file);
        const profile = JSON.parse(readFileSync(named, 'utf8')) as Parameters<typeof allocationSummary>[0];
        const summary = allocationSummary(profile, answered, top);
        process.stdout.write(`\n### ${name} (${named})\n\n${summary.join('\n')}\n`);
      }
      continue;
    }
    for (const [name, pid] of pids) {
      const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile') && f.includes(`.${String(pid)}.`));
      if (file === undefined) {
        process.stdout.write(`(no profile of ${name}, pid ${String(pid)})\n`);
        continue;
      }
      const named = join(out, `${target}-${name}.cpuprofile`);
      writeFileSync(named, readFileSync(join(out, file)));
      rmSync(join(out, file));
      process.stdout.write(`\n### ${name} (${named})\n\n`);
      const profile = JSON.parse(readFileSync(named, 'utf8')) as Parameters<typeof summarize>[0];
      process.stdout.write(`${summaryMarkdown(summarize(profile), top).join('\n')}\n`);
    }
  }
} finally {
  await launcher.stopAll();
  await issuer.stop();
  if (args.values.keep === true) process.stdout.write(`\nthe servers' logs are in ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
