import type { Registry } from 'prom-client';
import type { Reply } from './reply.js';

/** `GET /metrics`: the Prometheus text exposition of `registry`. */
export function metricsRoute(registry: Registry) {
  return async function metricsExposition(): Promise<Reply> {
    return {
      status: 200,
      text: { contentType: registry.contentType, content: await registry.metrics() },
    };
  };
}
