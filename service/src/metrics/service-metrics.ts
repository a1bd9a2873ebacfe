import { ENTRYPOINTS } from '@verdict/sidecar/contract/entrypoints';
import { collectProcessMetrics } from '@verdict/sidecar/process-metrics';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Request and PDP latency buckets (seconds): sub-millisecond decisions up to slow requests. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The service's Prometheus metrics. Label values are bounded: route templates (never raw paths),
 * problem codes, policy reason codes and actions — never ids, subjects or tokens.
 */
export class ServiceMetrics {
  readonly registry = new Registry();

  readonly requestDuration = new Histogram({
    name: 'verdict_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly authenticationFailures = new Counter({
    name: 'verdict_authentication_failures_total',
    help: 'Requests refused by authentication, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly decisions = new Counter({
    name: 'verdict_decisions_total',
    help: 'Authorization decisions by action, outcome (allow, deny, error) and first reason code.',
    labelNames: ['action', 'outcome', 'reason'] as const,
    registers: [this.registry],
  });

  readonly tokenCache = new Counter({
    name: 'verdict_token_cache_requests_total',
    help: 'Verified-token cache lookups by result (hit, miss).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly pdpDuration = new Histogram({
    name: 'verdict_pdp_request_duration_seconds',
    help: 'Calls to the policy decision point by entrypoint and outcome.',
    labelNames: ['path', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly pdpErrors = new Counter({
    name: 'verdict_pdp_errors_total',
    help: 'Policy decision point calls that failed (error, no_decision, circuit_open).',
    labelNames: ['path', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'verdict_rate_limited_total',
    help: 'Requests refused with 429, by limiter (ip, client).',
    labelNames: ['limiter'] as const,
    registers: [this.registry],
  });

  readonly rateLimitStoreErrors = new Counter({
    name: 'verdict_rate_limit_store_errors_total',
    help: 'Requests limited in this replica’s memory because the shared store (Redis) failed or timed out, by limiter.',
    labelNames: ['limiter'] as const,
    registers: [this.registry],
  });

  readonly rateLimitStoreUp = new Gauge({
    name: 'verdict_rate_limit_store_up',
    help: 'Whether the rate-limit store is connected: 0 while Redis is not (limits then per replica); always 1 in memory.',
    registers: [this.registry],
  });

  readonly auditWriteFailures = new Counter({
    name: 'verdict_audit_write_failures_total',
    help: 'Audit records that could not be written.',
    registers: [this.registry],
  });

  readonly auditCheckpointSeq = new Gauge({
    name: 'verdict_audit_checkpoint_seq',
    help: 'Sequence number of the audit chain head last written to the checkpoint file.',
    registers: [this.registry],
  });

  readonly auditCheckpointTime = new Gauge({
    name: 'verdict_audit_checkpoint_timestamp_seconds',
    help: 'When the last audit checkpoint was written (Unix time).',
    registers: [this.registry],
  });

  readonly auditCheckpointFailures = new Counter({
    name: 'verdict_audit_checkpoint_failures_total',
    help: 'Audit checkpoint writes that failed (retried a second later).',
    registers: [this.registry],
  });

  /** The token-cache series, looked up once: every authenticated request counts one. */
  readonly #tokenCacheResult = {
    hit: this.tokenCache.labels('hit'),
    miss: this.tokenCache.labels('miss'),
  };

  /**
   * Decision series by action, outcome and reason, each looked up once (the labels are bounded);
   * nested maps, so a lookup builds no key string.
   */
  readonly #decisionSeries = new Map<string, Map<string, Map<string, { inc(): void }>>>();

  /** With `processMetrics`, also Node's default process and runtime metrics. */
  constructor(processMetrics = false) {
    if (processMetrics) collectProcessMetrics(this.registry);
    for (const result of ['hit', 'miss']) this.tokenCache.inc({ result }, 0);
    // Series that alerts and panels read exist from the start, at zero.
    for (const path of Object.values(ENTRYPOINTS)) {
      for (const outcome of ['error', 'no_decision', 'circuit_open'])
        this.pdpErrors.inc({ path, outcome }, 0);
    }
    for (const limiter of ['ip', 'client']) {
      this.rateLimited.inc({ limiter }, 0);
      this.rateLimitStoreErrors.inc({ limiter }, 0);
    }
    this.rateLimitStoreUp.set(1);
    this.auditWriteFailures.inc(0);
    this.auditCheckpointFailures.inc(0);
  }

  /** Counts one verified-token cache lookup (the authenticate hook). */
  countTokenLookup(cached: boolean): void {
    (cached ? this.#tokenCacheResult.hit : this.#tokenCacheResult.miss).inc();
  }

  /** Counts one authorization decision by action, outcome and first reason code. */
  countDecision(action: string, outcome: string, reason: string): void {
    let byOutcome = this.#decisionSeries.get(action);
    if (byOutcome === undefined) {
      byOutcome = new Map<string, Map<string, { inc(): void }>>();
      this.#decisionSeries.set(action, byOutcome);
    }
    let byReason = byOutcome.get(outcome);
    if (byReason === undefined) {
      byReason = new Map<string, { inc(): void }>();
      byOutcome.set(outcome, byReason);
    }
    let series = byReason.get(reason);
    if (series === undefined) {
      series = this.decisions.labels(action, outcome, reason);
      byReason.set(reason, series);
    }
    series.inc();
  }

  /** Records a checkpoint written (AuditCheckpointer's onCheckpoint). */
  observeCheckpoint(seq: number, atMs: number): void {
    this.auditCheckpointSeq.set(seq);
    this.auditCheckpointTime.set(atMs / 1000);
  }

  /** Records one PDP call (SidecarAuthorizer's onCall). */
  observePdp(path: string, outcome: string, seconds: number): void {
    this.pdpDuration.observe({ path, outcome }, seconds);
    if (outcome !== 'ok') this.pdpErrors.inc({ path, outcome });
  }
}
