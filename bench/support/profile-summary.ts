// Self time by function and by module from a V8 .cpuprofile (node --cpu-prof), for
// bench/results/profile-*.md.  node --import tsx bench/support/profile-summary.ts <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './launcher.js';

export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
export interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One row of a summary: a function or a module, its self and inclusive time in µs. */
export interface SummaryRow {
  readonly key: string;
  readonly selfUs: number;
  readonly totalUs: number;
}

/** A profile's busy time (idle left out) by function and by module. */
export interface ProfileSummary {
  /** Sampled time that was not `(idle)`, µs. */
  readonly busyUs: number;
  readonly functions: readonly SummaryRow[];
  readonly modules: readonly SummaryRow[];
}

const IDLE = '(idle)';

/** Where a frame's code lives: an npm package, a Node internal, a file of the repository, or V8. */
export function moduleOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + '/node_modules/'.length).split('/');
    return (parts[0] ?? '').startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
  }
  if (path.startsWith('node:')) return path;
  return path.startsWith('/') ? relative(ROOT, path) : path;
}

function functionOf(frame: CallFrame): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  return `${name} ${moduleOf(frame)}:${String(frame.lineNumber + 1)}`;
}

/** Self time (where the samples landed) and inclusive time (a frame anywhere on the stack, once). */
export function summarize(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUsById = new Map<number, number>();
  // A sample's time is the delta to the next sample (the last one has none).
  for (let i = 0; i < profile.samples.length - 1; i++) {
    const id = profile.samples[i] ?? 0;
    selfUsById.set(id, (selfUsById.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  const fn = new Map<string, { self: number; total: number }>();
  const mod = new Map<string, { self: number; total: number }>();
  let busyUs = 0;
  for (const [id, us] of selfUsById) {
    const node = byId.get(id);
    if (node === undefined || node.callFrame.functionName === IDLE) continue;
    busyUs += us;
    const seenFn = new Set<string>();
    const seenMod = new Set<string>();
    let first = true;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame === undefined || frame.functionName === '(root)') break;
      const f = functionOf(frame);
      const m = moduleOf(frame);
      if (!seenFn.has(f)) {
        seenFn.add(f);
        const row = fn.get(f) ?? { self: 0, total: 0 };
        if (first) row.self += us;
        row.total += us;
        fn.set(f, row);
      }
      if (!seenMod.has(m)) {
        seenMod.add(m);
        const row = mod.get(m) ?? { self: 0, total: 0 };
        if (first) row.self += us;
        row.total += us;
        mod.set(m, row);
      }
      first = false;
    }
  }
  const rows = (map: Map<string, { self: number; total: number }>): SummaryRow[] =>
    [...map]
      .map(([key, { self, total }]) => ({ key, selfUs: self, totalUs: total }))
      .sort((a, b) => b.selfUs - a.selfUs);
  return { busyUs, functions: rows(fn), modules: rows(mod) };
}

/** A summary as Markdown tables: the top `top` functions and modules by self time. */
export function summaryMarkdown(summary: ProfileSummary, top = 25): string[] {
  const pct = (us: number) => `${((100 * us) / summary.busyUs).toFixed(1)} %`;
  const table = (title: string, rows: readonly SummaryRow[]) => [
    `| ${title} | self | inclusive |`,
    '|---|---|---|',
    ...rows
      .slice(0, top)
      .map((r) => `| \`${r.key.replaceAll('|', '\\|')}\` | ${pct(r.selfUs)} | ${pct(r.totalUs)} |`),
  ];
  return [
    `busy (not idle) ${(summary.busyUs / 1e6).toFixed(2)} s`,
    '',
    ...table('module', summary.modules),
    '',
    ...table('function', summary.functions),
  ];
}

export interface HeapNode {
  readonly callFrame: CallFrame;
  readonly selfSize: number;
  readonly children: readonly HeapNode[];
}

/**
 * Bytes allocated per request (garbage included: bench/support/alloc-profile.mjs) by module and by
 * function of the allocating frame, from a sampling heap profile over `requests` requests.
 */
export function allocationSummary(
  profile: { readonly head: HeapNode },
  requests: number,
  top = 25,
): string[] {
  const fn = new Map<string, number>();
  const mod = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode): void => {
    if (node.selfSize > 0) {
      total += node.selfSize;
      const f = functionOf(node.callFrame);
      const m = moduleOf(node.callFrame);
      fn.set(f, (fn.get(f) ?? 0) + node.selfSize);
      mod.set(m, (mod.get(m) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const perRequest = (bytes: number) => `${(bytes / requests).toFixed(0)} B`;
  const table = (title: string, map: Map<string, number>) => [
    `| ${title} | allocated per request |`,
    '|---|---|',
    ...[...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, bytes]) => `| \`${key.replaceAll('|', '\\|')}\` | ${perRequest(bytes)} |`),
  ];
  return [
    `allocated ${perRequest(total)} per request (start-up included)`,
    '',
    ...table('module', mod),
    '',
    ...table('function', fn),
  ];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(
    `${summaryMarkdown(summarize(profile), top === undefined ? 25 : Number(top)).join('\n')}\n`,
  );
}
