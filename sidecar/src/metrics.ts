import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from './process-metrics.js';

/** How a Data API evaluation ended, for `verdict_sidecar_decisions_total{outcome}`. */
export type DecisionOutcome = 'defined' | 'undefined' | 'not_found' | 'error' | 'unavailable';

/** The sidecar's Prometheus metrics, in their own registry (so tests can build several). */
export class SidecarMetrics {
  readonly registry: Registry;
  readonly decisions: Counter<'path' | 'outcome'>;
  readonly evaluationSeconds: Histogram<'path'>;
  readonly bundleInfo: Gauge<'name' | 'revision'>;
  readonly bundleLastSuccess: Gauge<'name'>;
  readonly bundleLoadFailures: Counter<'name' | 'reason'>;
  readonly bundleSigned: Gauge<'name'>;
  readonly decisionLogsDropped: Counter<'sink'>;
  readonly shadowEvaluations: Counter<'outcome'>;
  readonly shadowDisagreements: Counter<'action' | 'kind'>;
  readonly shadowDropped: Counter<'reason'>;
  readonly shadowErrors: Counter<'code'>;
  readonly shadowBundleInfo: Gauge<'revision'>;

  constructor(options: { readonly defaultMetrics?: boolean } = {}) {
    const registers = [(this.registry = new Registry())];
    if (options.defaultMetrics) collectProcessMetrics(this.registry);
    this.decisions = new Counter({
      name: 'verdict_sidecar_decisions_total',
      help: 'Data API evaluations by entrypoint path and outcome',
      labelNames: ['path', 'outcome'],
      registers,
    });
    this.evaluationSeconds = new Histogram({
      name: 'verdict_sidecar_evaluation_duration_seconds',
      help: 'Time to evaluate one Data API input, by entrypoint path',
      labelNames: ['path'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    });
    this.bundleInfo = new Gauge({
      name: 'verdict_sidecar_bundle_info',
      help: 'The active bundle: 1 for its name and revision',
      labelNames: ['name', 'revision'],
      registers,
    });
    this.bundleLastSuccess = new Gauge({
      name: 'verdict_sidecar_bundle_last_successful_load_timestamp_seconds',
      help: 'When a bundle was last activated (Unix time)',
      labelNames: ['name'],
      registers,
    });
    this.bundleLoadFailures = new Counter({
      name: 'verdict_sidecar_bundle_load_failures_total',
      help: 'Bundle downloads or activations that failed (the last good bundle stays active)',
      labelNames: ['name', 'reason'],
      registers,
    });
    this.bundleSigned = new Gauge({
      name: 'verdict_sidecar_bundle_signed',
      help: 'Whether the active bundle signature was verified (1) or not, because BUNDLE_PUBLIC_KEYS is unset (0)',
      labelNames: ['name'],
      registers,
    });
    this.decisionLogsDropped = new Counter({
      name: 'verdict_sidecar_decision_logs_dropped_total',
      help: 'Decision-log events dropped because a sink could not keep up',
      labelNames: ['sink'],
      registers,
    });
    this.shadowEvaluations = new Counter({
      name: 'verdict_shadow_evaluations_total',
      help: 'Decisions evaluated again on the shadow bundle, by whether it agreed (agree, disagree)',
      labelNames: ['outcome'],
      registers,
    });
    this.shadowDisagreements = new Counter({
      name: 'verdict_shadow_disagreements_total',
      help: 'Decisions the shadow bundle answers otherwise than the active one, by action and kind of change',
      labelNames: ['action', 'kind'],
      registers,
    });
    this.shadowDropped = new Counter({
      name: 'verdict_shadow_dropped_total',
      help: 'Decisions not evaluated on the shadow bundle: queue full, or no shadow bundle loaded',
      labelNames: ['reason'],
      registers,
    });
    this.shadowErrors = new Counter({
      name: 'verdict_shadow_errors_total',
      help: 'Shadow evaluations that failed, by engine error code',
      labelNames: ['code'],
      registers,
    });
    this.shadowBundleInfo = new Gauge({
      name: 'verdict_shadow_bundle_info',
      help: 'The shadow bundle: 1 for its revision (absent while none is loaded)',
      labelNames: ['revision'],
      registers,
    });
  }

  /** Records an activation: the info gauge names only the new revision; `signed` says if it was verified. */
  bundleActivated(name: string, revision: string, at: Date, signed: boolean): void {
    this.bundleInfo.reset();
    this.bundleInfo.set({ name, revision }, 1);
    this.bundleLastSuccess.set({ name }, at.getTime() / 1000);
    this.bundleSigned.set({ name }, signed ? 1 : 0);
  }
}
