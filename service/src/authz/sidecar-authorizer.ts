import { dataPath, revisionOf, type DataResponse } from '@verdict/sidecar/contract/data-api';
import {
  PolicyNoDecisionError as MalformedDecision,
  toBatchDecisions,
  toDecision,
  toListFilter,
} from '@verdict/sidecar/contract/decision-shape';
import { ENTRYPOINTS as PATHS } from '@verdict/sidecar/contract/entrypoints';
import { Agent, Pool, type Dispatcher } from 'undici';
import { AuthorizationUnavailableError, PolicyNoDecisionError } from '../errors.js';
import { CircuitBreaker, CircuitOpenError } from './circuit-breaker.js';
import type {
  Authorizer,
  BatchInput,
  BatchResult,
  DecisionResult,
  ListFilterInput,
  ListFilterResult,
  PolicyInput,
} from './decision.js';

/** How the service reaches its sidecar. */
export interface SidecarAuthorizerOptions {
  /** `http://host:port` or `unix:/path/to.sock` (PDP_URL). */
  readonly url: string;
  /** Per-call deadline (PDP_TIMEOUT_MS). */
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly breaker?: { readonly failureThreshold: number; readonly openMs: number };
  /** Observes each call's outcome and duration (metrics). */
  readonly onCall?: (
    path: string,
    outcome: 'ok' | 'no_decision' | 'error' | 'circuit_open',
    seconds: number,
  ) => void;
}

/** A 4xx from the sidecar: the request or the path is wrong; not retried, not a PDP outage. */
class SidecarRejectedError extends Error {
  constructor(readonly status: number) {
    super(`the sidecar refused the request with ${status}`);
  }
}

/**
 * `PDP_MODE=sidecar`: OPA's Data API over a keep-alive pool (undici), with a deadline per call and
 * a circuit breaker. Fails closed: undefined or malformed results → 403 policy_no_decision;
 * transport errors, timeouts, 5xx and an open circuit → 503 authorization_unavailable.
 */
export class SidecarAuthorizer implements Authorizer {
  readonly #dispatcher: Dispatcher;
  readonly #origin: string;
  readonly #breaker: CircuitBreaker;

  constructor(private readonly options: SidecarAuthorizerOptions) {
    if (options.url.startsWith('unix:')) {
      this.#origin = 'http://localhost';
      this.#dispatcher = new Agent({
        connect: { socketPath: options.url.slice('unix:'.length) },
        keepAliveTimeout: 30_000,
      });
    } else {
      this.#origin = options.url;
      this.#dispatcher = new Pool(options.url, { connections: 32, keepAliveTimeout: 30_000, pipelining: 1 });
    }
    this.#breaker = new CircuitBreaker({
      failureThreshold: options.breaker?.failureThreshold ?? 5,
      openMs: options.breaker?.openMs ?? 2_000,
      now: options.now,
    });
  }

  ready(): boolean {
    return this.#breaker.state !== 'open';
  }

  async #post(path: string, input: unknown): Promise<DataResponse> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const response = await this.#breaker.run(
        () => this.#request(path, input),
        (error) => !(error instanceof SidecarRejectedError),
      );
      this.options.onCall?.(path, 'ok', seconds());
      return response;
    } catch (error) {
      if (error instanceof SidecarRejectedError) {
        this.options.onCall?.(path, 'no_decision', seconds());
        throw new PolicyNoDecisionError(error);
      }
      this.options.onCall?.(path, error instanceof CircuitOpenError ? 'circuit_open' : 'error', seconds());
      throw new AuthorizationUnavailableError(error);
    }
  }

  async #request(path: string, input: unknown): Promise<DataResponse> {
    const response = await this.#dispatcher.request({
      origin: this.#origin,
      path: `${dataPath(path)}?provenance=true`,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ input }),
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    if (response.statusCode >= 400) {
      await response.body.dump();
      if (response.statusCode < 500) throw new SidecarRejectedError(response.statusCode);
      throw new Error(`the sidecar answered ${response.statusCode}`);
    }
    return (await response.body.json()) as DataResponse;
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

  /** Closes the connection pool. */
  close(): Promise<void> {
    return this.#dispatcher.close();
  }
}
