import type { BenchIssuer } from './issuer.js';
import type { Launcher } from './launcher.js';
import type { SeededData } from './seed.js';

/** How a check compares its value with its target. */
export type CheckOp = '>=' | '<=' | '==';

/** What a check's value is: a ratio (×), a latency (µs), a percentage, or a count. */
export type CheckUnit = 'x' | 'µs' | '%' | 'count';

/** One target of the issue, measured: its value, its target, and whether the value meets it. */
export interface Check {
  /** Stable across runs (`--check` matches results by it). */
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly target: number;
  readonly op: CheckOp;
  readonly unit: CheckUnit;
  readonly met: boolean;
  /**
   * Whether `--check` compares it with the last recorded run: ratios and medians; not counts, memory
   * growth or in-process p99s (a few samples of scheduler noise on a shared machine).
   */
  readonly tracked: boolean;
}

/** A results table: a header and rows of cells already formatted. */
export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** What a scenario measured. */
export interface ScenarioResult {
  readonly title: string;
  /** Conditions a reader needs to judge the numbers (connections, durations, modes). */
  readonly notes: readonly string[];
  readonly tables: readonly Table[];
  readonly checks: readonly Check[];
  /** The raw measurements, for the JSON record. */
  readonly data: unknown;
}

/** Durations and sizes of one run: the full suite, or `--quick`. */
export interface Durations {
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly noFalse503Ms: number;
  readonly reloadMs: number;
  readonly reloadBaselineMs: number;
  readonly engineRounds: number;
  readonly memoryFirst: number;
  readonly memoryTotal: number;
  readonly coldTokens: number;
}

/** What every scenario is given. */
export interface BenchContext {
  readonly quick: boolean;
  readonly durations: Durations;
  /** This run's scratch directory (removed at the end). */
  readonly dir: string;
  readonly issuer: BenchIssuer;
  readonly data: SeededData;
  readonly launcher: Launcher;
  /** Progress line on stderr. */
  log(message: string): void;
}

/** A scenario of the suite. */
export interface Scenario {
  /** CLI name, e.g. `price-of-security`. */
  readonly name: string;
  /** Its number in the issue (1–9), also accepted on the command line. */
  readonly number: number;
  readonly title: string;
  run(context: BenchContext): Promise<ScenarioResult>;
}

/** A check from a value and its target. */
export function check(
  id: string,
  label: string,
  value: number,
  op: CheckOp,
  target: number,
  unit: CheckUnit,
  tracked = unit === 'x' || unit === 'µs',
): Check {
  const met =
    Number.isFinite(value) &&
    (op === '>=' ? value >= target : op === '<=' ? value <= target : value === target);
  return { id, label, value, target, op, unit, met, tracked };
}
