import type { BundleManager, BundleStatus } from '../bundle/bundle-manager.js';
import type { ShadowEvaluator } from '../shadow/shadow-evaluator.js';
import { booleanParam, type Reply, type RouteContext } from './reply.js';

function bundleBody(status: Pick<BundleStatus, 'revision' | 'activatedAt' | 'signed' | 'lastError'>) {
  return {
    revision: status.revision ?? null,
    activated_at: status.activatedAt?.toISOString() ?? null,
    signed: status.signed,
    ...(status.lastError === undefined
      ? {}
      : {
          last_error: {
            reason: status.lastError.reason,
            message: status.lastError.message,
            at: status.lastError.at.toISOString(),
          },
        }),
  };
}

/**
 * `GET /health` as OPA answers it: `200 {}` while the server runs. With `?bundles` (or the older
 * `?bundle`), `200` only when a bundle is active, else `500 {"error": …}`; the body then also says
 * which revision is active, whether its signature was verified (`signed`; always `false` without
 * `BUNDLE_PUBLIC_KEYS`) and the last load failure, if any. A shadow bundle is shown beside
 * `bundles` as `shadow` (its revision, signed, last failure); it never changes the status, since
 * it decides nothing.
 */
export function health(manager: BundleManager, shadow?: ShadowEvaluator) {
  return function healthRoute(context: RouteContext): Promise<Reply> {
    const { url } = context;
    if (!booleanParam(url, 'bundles') && !booleanParam(url, 'bundle'))
      return Promise.resolve({ status: 200, body: {} });
    const status = manager.status();
    const bundles = { [status.name]: bundleBody(status) };
    const shadowBody =
      shadow === undefined
        ? {}
        : { shadow: { ...bundleBody(shadow.manager.status()), sample: shadow.sample } };
    if (status.revision === undefined) {
      return Promise.resolve({
        status: 500,
        body: { error: 'not all configured bundles have been activated', bundles, ...shadowBody },
      });
    }
    return Promise.resolve({ status: 200, body: { bundles, ...shadowBody } });
  };
}
