import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BundleManager } from '../bundle/bundle-manager.js';
import { EntrypointNotFoundError, type Engine, type QueryResult } from '../engine.js';
import { EngineError, describe } from '../errors.js';
import type { DecisionOutcome, SidecarMetrics } from '../metrics.js';
import { parseJsonObject, readBody } from './json-body.js';
import { OpaHttpError } from './opa-error.js';
import { booleanParam, type Reply, type RouteContext } from './reply.js';

/** What the Data API routes need. */
export interface DataApiDependencies {
  readonly manager: BundleManager;
  readonly metrics?: SidecarMetrics | undefined;
  readonly maxBodyBytes: number;
  /** Most inputs one batch may hold (`BATCH_MAX_INPUTS`); beyond it `413`. */
  readonly batchMaxInputs: number;
  /** Reported as `provenance.version`. */
  readonly version: string;
}

/**
 * A batch is evaluated this many inputs at a time, the event loop turning between chunks, so that single
 * decisions arriving meanwhile are answered within one chunk's time instead of after the whole batch.
 */
export const BATCH_CHUNK_INPUTS = 50;

/** OPA's usage warning when a Data API request has no `input` key. */
const INPUT_MISSING = { code: 'api_usage_warning', message: "'input' key missing from the request" } as const;

type Evaluation =
  | { readonly ok: true; readonly value: QueryResult; readonly seconds: number }
  | { readonly ok: false; readonly error: EngineError; readonly decisionId?: string };

function activeEngine(manager: BundleManager): Engine {
  const engine = manager.engine;
  if (engine === undefined)
    throw new OpaHttpError(503, 'internal_error', 'no policy bundle is active; decisions are refused');
  return engine;
}

function notFound(path: string): OpaHttpError {
  return new OpaHttpError(404, 'resource_not_found', `${path} is not an entrypoint of the active bundle`);
}

function evaluationError(error: EngineError): OpaHttpError {
  return new OpaHttpError(500, 'internal_error', 'error(s) occurred while evaluating query', [
    { code: error.code, message: error.message },
  ]);
}

/**
 * The Data API over the active engine (OPA's `POST /v1/data/{path}` and Enterprise OPA's batch
 * endpoint, as the official `@open-policy-agent/opa` client calls them).
 */
export class DataApi {
  readonly #deps: DataApiDependencies;

  constructor(deps: DataApiDependencies) {
    this.#deps = deps;
  }

  /** `POST /v1/data/{path}` (and `GET`, without input). */
  async evaluate(context: RouteContext): Promise<Reply> {
    const { path, engine } = this.#target(context);
    const body =
      context.request.method === 'GET'
        ? undefined
        : parseJsonObject(await readBody(context.request, this.#deps.maxBodyBytes));
    const hasInput = body !== undefined && Object.hasOwn(body, 'input') && body.input !== null;
    const outcome = this.#run(engine, path, hasInput ? body.input : undefined);
    if (!outcome.ok) throw evaluationError(outcome.error);
    return {
      status: 200,
      body: {
        ...this.#success(outcome, context.url),
        ...(hasInput ? {} : { warning: INPUT_MISSING }),
      },
    };
  }

  /**
   * `POST /v1/batch/data/{path}` with `{"inputs": {"<id>": <input>}}`: 200, 207 when some fail, 500 when
   * all do; more than `batchMaxInputs` inputs → `413 invalid_parameter` before any is evaluated.
   */
  async evaluateBatch(context: RouteContext): Promise<Reply> {
    const { path, engine } = this.#target(context);
    const body = parseJsonObject(await readBody(context.request, this.#deps.maxBodyBytes), 'batch request');
    const inputs = body?.inputs;
    if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs))
      throw new OpaHttpError(400, 'invalid_parameter', 'body must be {"inputs": {"<id>": <input>, …}}');
    const entries = Object.entries(inputs as Record<string, unknown>);
    if (entries.length > this.#deps.batchMaxInputs) {
      throw new OpaHttpError(
        413,
        'invalid_parameter',
        `batch holds ${entries.length} inputs, at most ${this.#deps.batchMaxInputs} are allowed`,
      );
    }
    const results: (readonly [string, Evaluation])[] = [];
    for (const [i, [id, input]] of entries.entries()) {
      if (i > 0 && i % BATCH_CHUNK_INPUTS === 0) await nextTurn();
      results.push([id, this.#run(engine, path, input)]);
    }
    const failures = results.filter(([, outcome]) => !outcome.ok).length;
    const mixed = failures > 0 && failures < results.length;
    const responses: Record<string, unknown> = {};
    for (const [id, outcome] of results) {
      const response = outcome.ok
        ? this.#success(outcome, context.url)
        : {
            ...evaluationError(outcome.error).toJSON(),
            ...(outcome.decisionId === undefined ? {} : { decision_id: outcome.decisionId }),
          };
      responses[id] =
        failures === 0 ? response : { ...response, http_status_code: outcome.ok ? '200' : '500' };
    }
    const status = failures === 0 ? 200 : mixed ? 207 : 500;
    return { status, body: { responses } };
  }

  #target(context: RouteContext): { path: string; engine: Engine } {
    const engine = activeEngine(this.#deps.manager);
    const path = context.rest;
    if (path === '' || !engine.entrypoints.includes(path)) {
      this.#count('_unknown', 'not_found');
      throw notFound(path === '' ? 'the data root' : path);
    }
    return { path, engine };
  }

  #run(engine: Engine, path: string, input: unknown): Evaluation {
    const started = performance.now();
    try {
      const value = engine.query(path, input);
      const seconds = (performance.now() - started) / 1000;
      this.#deps.metrics?.evaluationSeconds.observe({ path }, seconds);
      this.#count(path, value.result === undefined ? 'undefined' : 'defined');
      return { ok: true, value, seconds };
    } catch (error) {
      if (error instanceof EntrypointNotFoundError) throw notFound(path);
      this.#count(path, 'error');
      if (error instanceof EngineError) return { ok: false, error };
      throw new OpaHttpError(500, 'internal_error', `evaluation failed: ${describe(error)}`);
    }
  }

  #success(outcome: Extract<Evaluation, { ok: true }>, url: URL): Record<string, unknown> {
    const { result, decisionId, revision } = outcome.value;
    return {
      decision_id: decisionId,
      ...(result === undefined ? {} : { result }),
      ...(booleanParam(url, 'provenance')
        ? {
            provenance: {
              version: this.#deps.version,
              bundles: { [this.#deps.manager.name]: { revision } },
            },
          }
        : {}),
      ...(booleanParam(url, 'metrics')
        ? { metrics: { timer_rego_query_eval_ns: Math.round(outcome.seconds * 1e9) } }
        : {}),
    };
  }

  #count(path: string, outcome: DecisionOutcome): void {
    this.#deps.metrics?.decisions.inc({ path, outcome });
  }
}
