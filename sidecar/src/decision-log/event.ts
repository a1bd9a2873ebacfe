/**
 * A decision-log event in OPA's shape (https://www.openpolicyagent.org/docs/management-decision-logs),
 * as the console logger prints it and a collector receives it.
 */
export interface DecisionLogEvent {
  readonly decision_id: string;
  /** The entrypoint, e.g. `verdict/authz/decision`. */
  readonly path: string;
  /** The masked input; absent when there was none. */
  readonly input?: unknown;
  /** The masked result; absent when the policy was undefined for the input. */
  readonly result?: unknown;
  /** RFC 3339 with nanoseconds, UTC. */
  readonly timestamp: string;
  readonly bundles: Readonly<Record<string, { readonly revision: string }>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, number>>;
  /** JSON pointers of what masking removed. */
  readonly erased?: readonly string[];
  /** Set when evaluation failed. */
  readonly error?: { readonly code: string; readonly message: string };
  /**
   * Only on a shadow disagreement: the shadow bundle's revision, its answer (masked like `result`;
   * absent when undefined), its error, and the kinds of change. The event's own `result` and
   * `bundles` stay the active bundle's, which was enforced.
   */
  readonly shadow?: {
    readonly revision: string;
    readonly result?: unknown;
    readonly error?: { readonly code: string; readonly message: string };
    readonly kinds: readonly string[];
  };
}

/**
 * Where decision-log events go. `write` never blocks and never throws: a sink that cannot keep up drops
 * events and reports them to the `onDrop` it was built with.
 */
export interface DecisionLogSink {
  /** Names the sink in metrics (`stdout`, `file`, `upload`). */
  readonly name: string;
  write(event: DecisionLogEvent): void;
  /** Delivers what it can, then releases its resources. */
  close(): Promise<void>;
}

/** Called with the number of events a sink had to drop. */
export type DropListener = (sink: string, count: number) => void;
