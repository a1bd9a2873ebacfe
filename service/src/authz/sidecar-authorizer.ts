import { dataPath, revisionOf, type DataResponse } from '@verdict/sidecar/contract/data-api';
import {
  PolicyNoDecisionError as MalformedDecision,
  toBatchDecisions,
  toDecision,
  toListFilter,
} from '@verdict/sidecar/contract/decision-shape';
import { ENTRYPOINTS as PATHS } from '@verdict/sidecar/contract/entrypoints';
import { AuthorizationUnavailableError, PolicyNoDecisionError } from '../errors.js';
import {
  CircuitBreaker,
  CircuitOpenError,
  DEFAULT_BREAKER,
  type CallOutcome,
  type CircuitBreakerOptions,
} from './circuit-breaker.js';
import type {
  Authorizer,
  BatchInput,
  BatchResult,
  DecisionResult,
  ListFilterInput,
  ListFilterResult,
  PolicyInput,
} from './decision.js';
import { SidecarBusyError, SidecarClient, SidecarTimeoutError } from './sidecar-client.js';

/** Keep-alive connections to the sidecar: enough to keep its one event loop busy, few enough to queue here. */
export const DEFAULT_PDP_CONNECTIONS = 8;

/** How one PDP call ended, for metrics. */
export type PdpCallOutcome = 'ok' | 'no_decision' | 'error' | 'timeout' | 'overloaded' | 'circuit_open';

/** How the service reaches its sidecar. */
export interface SidecarAuthorizerOptions {
  /** `http://host:port` or `unix:/path/to.sock` (PDP_URL). */
  readonly url: string;
  /** How long the sidecar may take to answer once a call is sent (PDP_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** How long a call may wait for a free connection (PDP_QUEUE_TIMEOUT_MS, default 1000). */
  readonly queueTimeoutMs?: number;
  /** Keep-alive connections (default {@link DEFAULT_PDP_CONNECTIONS}). */
  readonly connections?: number;
  readonly now: () => number;
  /** The circuit breaker's window and thresholds (default {@link DEFAULT_BREAKER}). */
  readonly breaker?: Partial<Omit<CircuitBreakerOptions, 'now'>>;
  /** Observes each call's outcome and duration (metrics). */
  readonly onCall?: (path: string, outcome: PdpCallOutcome, seconds: number) => void;
}

/** A 4xx from the sidecar: the request or the path is wrong; not retried, not a PDP outage. */
class SidecarRejectedError extends Error {
  constructor(readonly status: number) {
    super(`the sidecar refused the request with ${status}`);
  }
}

/** How a failed call counts for the breaker: only the sidecar failing to answer well is a failure. */
function classify(error: unknown): CallOutcome {
  if (error instanceof SidecarRejectedError) return 'success';
  if (error instanceof SidecarBusyError || error instanceof CircuitOpenError) return 'ignored';
  return 'failure';
}

function outcomeOf(error: unknown): PdpCallOutcome {
  if (error instanceof CircuitOpenError) return 'circuit_open';
  if (error instanceof SidecarTimeoutError) return 'timeout';
  if (error instanceof SidecarBusyError) return 'overloaded';
  return 'error';
}

/** `POST /v1/data/<entrypoint>?provenance=true` for each entrypoint, built once. */
const REQUEST_PATHS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.values(PATHS).map((path) => [path, `${dataPath(path)}?provenance=true`]),
);

/**
 * `PDP_MODE=sidecar`: OPA's Data API over keep-alive connections ({@link SidecarClient}), with a
 * deadline per call from the moment it is sent and an error-ratio circuit breaker. Fails closed:
 * undefined or malformed results → 403 policy_no_decision; transport errors, timeouts, 5xx, a
 * full queue and an open circuit → 503 authorization_unavailable.
 */
export class SidecarAuthorizer implements Authorizer {
  readonly #client: SidecarClient;
  readonly #breaker: CircuitBreaker;
  readonly #onCall: SidecarAuthorizerOptions['onCall'];

  constructor(options: SidecarAuthorizerOptions) {
    this.#breaker = new CircuitBreaker({ ...DEFAULT_BREAKER, ...options.breaker, now: options.now });
    this.#client = new SidecarClient({
      url: options.url,
      timeoutMs: options.timeoutMs,
      queueTimeoutMs: options.queueTimeoutMs ?? 1000,
      connections: options.connections ?? DEFAULT_PDP_CONNECTIONS,
      gate: () => (this.#breaker.state === 'open' ? new CircuitOpenError() : undefined),
    });
    this.#onCall = options.onCall;
  }

  ready(): boolean {
    return this.#breaker.state !== 'open';
  }

  async #post(path: string, input: unknown): Promise<DataResponse> {
    const started = performance.now();
    try {
      const response = await this.#breaker.run(() => this.#request(path, input), classify);
      this.#onCall?.(path, 'ok', (performance.now() - started) / 1000);
      return response;
    } catch (error) {
      const seconds = (performance.now() - started) / 1000;
      if (error instanceof SidecarRejectedError) {
        this.#onCall?.(path, 'no_decision', seconds);
        throw new PolicyNoDecisionError(error);
      }
      this.#onCall?.(path, outcomeOf(error), seconds);
      throw new AuthorizationUnavailableError(error);
    }
  }

  async #request(path: string, input: unknown): Promise<DataResponse> {
    const answer = await this.#client.post(
      REQUEST_PATHS[path] ?? `${dataPath(path)}?provenance=true`,
      `{"input":${JSON.stringify(input)}}`,
    );
    if (answer.status >= 400) {
      if (answer.status < 500) throw new SidecarRejectedError(answer.status);
      throw new Error(`the sidecar answered ${answer.status}`);
    }
    if (answer.status !== 200) throw new Error(`the sidecar answered ${answer.status}`);
    return JSON.parse(answer.body.toString('utf8')) as DataResponse;
  }

  #checked<T>(check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (error instanceof MalformedDecision) throw new PolicyNoDecisionError(error);
      throw error;
    }
  }

  async decide(input: PolicyInput): Promise<DecisionResult> {
    const response = await this.#post(PATHS.decision, input);
    const decision = this.#checked(() => toDecision(response.result, PATHS.decision));
    return { decision, decisionId: response.decision_id ?? '', revision: revisionOf(response) };
  }

  async decideBatch(input: BatchInput): Promise<BatchResult> {
    const response = await this.#post(PATHS.batch, input);
    const decisions = this.#checked(() =>
      toBatchDecisions(response.result, PATHS.batch, input.resources.length),
    );
    return { decisions, decisionId: response.decision_id ?? '', revision: revisionOf(response) };
  }

  async listFilter(input: ListFilterInput): Promise<ListFilterResult> {
    const response = await this.#post(PATHS.listFilter, input);
    const anyOf = this.#checked(() => toListFilter(response.result, PATHS.listFilter));
    return { anyOf, decisionId: response.decision_id ?? '', revision: revisionOf(response) };
  }

  /** Closes the connections. */
  close(): Promise<void> {
    return this.#client.close();
  }
}
