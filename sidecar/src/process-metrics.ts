import { collectDefaultMetrics, type Registry } from 'prom-client';

/** prom-client's gauges whose `_total` suffix promtool's lint refuses (counters only may have it). */
const MISNAMED_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * Node's process and runtime metrics, less the three gauges that `promtool check metrics` rejects
 * for their names; their per-type siblings (`nodejs_active_handles{type}` …) stay.
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_GAUGES) registry.removeSingleMetric(name);
}
