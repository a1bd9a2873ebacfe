import { loadCases, type JsonObject } from '../../../policy-tests/src/cases.js';
import type { BatchInput, ListFilterInput, PolicyInput } from '../../src/contract/policy.js';
import { loadPolicyEngineConfig, startPolicyEngine } from '../../src/policy-engine.js';

/** One decision to record: its entrypoint, input and a name to find it by. */
export interface DecisionToRecord {
  readonly path: 'verdict/authz/decision' | 'verdict/authz/batch' | 'verdict/authz/list_filter';
  readonly input: JsonObject;
  readonly name: string;
}

/** A recorded decision, with the id the engine gave it. */
export interface RecordedDecision extends DecisionToRecord {
  readonly decisionId: string;
}

/**
 * Records a decision log as production does: the real policy engine (`startPolicyEngine`, the path
 * of the sidecar and of embedded mode) over `bundlePath`, with `DECISION_LOG=file:<logPath>` and
 * `DECISION_LOG_MASK=<mask>`, deciding each of `decisions`. Resolves once the log is written.
 */
export async function recordDecisions(
  bundlePath: string,
  logPath: string,
  mask: string,
  decisions: readonly DecisionToRecord[],
): Promise<RecordedDecision[]> {
  const config = loadPolicyEngineConfig({
    BUNDLE_PATH: bundlePath,
    DECISION_LOG: `file:${logPath}`,
    DECISION_LOG_MASK: mask,
  });
  const running = await startPolicyEngine(config);
  try {
    const engine = running.manager.engine;
    if (engine === undefined) throw new Error(`the bundle ${bundlePath} did not load`);
    return decisions.map((d) => {
      try {
        const input: unknown = d.input;
        let decisionId: string;
        if (d.path === 'verdict/authz/decision') decisionId = engine.decide(input as PolicyInput).decisionId;
        else if (d.path === 'verdict/authz/batch')
          decisionId = engine.decideBatch(input as BatchInput).decisionId;
        else decisionId = engine.listFilter(input as ListFilterInput).decisionId;
        return { ...d, decisionId };
      } catch (error) {
        throw new Error(`${d.name}: ${String(error)}`, { cause: error });
      }
    });
  } finally {
    await running.close();
  }
}

/**
 * Every case of policy-tests/cases/*.yaml (and, for a list-filter case with rows, the batch over
 * those rows), recorded by {@link recordDecisions}.
 */
export function recordDecisionTables(
  bundlePath: string,
  logPath: string,
  mask = '',
): Promise<RecordedDecision[]> {
  const decisions: DecisionToRecord[] = loadCases().flatMap((c) => {
    const own: DecisionToRecord = { path: `verdict/authz/${c.entrypoint}`, input: c.input, name: c.name };
    if (c.rows.length === 0) return [own];
    const { subject = null, action = null, environment = null } = c.input;
    const rows: DecisionToRecord = {
      path: 'verdict/authz/batch',
      input: { subject, action, environment, resources: c.rows },
      name: `${c.name} (rows)`,
    };
    return [own, rows];
  });
  return recordDecisions(bundlePath, logPath, mask, decisions);
}
