/**
 * OPA's Data API on the wire (OPA `v1/server/types`), as the sidecar answers it and the service
 * and OPA's own clients send it.
 */

/** OPA's REST API error codes (`internal_error`, `invalid_parameter`, `resource_not_found`, …). */
export type OpaErrorCode =
  'internal_error' | 'invalid_parameter' | 'resource_not_found' | 'method_not_allowed';

/** One detail of an OPA error body. */
export interface OpaErrorDetail {
  readonly code: string;
  readonly message: string;
}

/** An error body: `{"code", "message", "errors"?}`. */
export interface OpaErrorBody {
  readonly code: OpaErrorCode;
  readonly message: string;
  readonly errors?: readonly OpaErrorDetail[];
}

/** `POST /v1/data/{path}`: the input; OPA warns when it is missing. */
export interface DataRequest {
  readonly input?: unknown;
}

/** Where a result came from (`?provenance=true`): the revision of each bundle. */
export interface DataProvenance {
  readonly version?: string;
  readonly bundles?: Readonly<Record<string, { readonly revision?: string }>>;
}

/** The answer to a data request; an undefined result has no `result`. */
export interface DataResponse {
  readonly result?: unknown;
  readonly decision_id?: string;
  readonly provenance?: DataProvenance;
  readonly warning?: OpaErrorDetail;
  readonly metrics?: Readonly<Record<string, number>>;
}

/** `POST /v1/batch/data/{path}`: inputs by caller-chosen id. */
export interface BatchDataRequest {
  readonly inputs: Readonly<Record<string, unknown>>;
}

/** One answer of a batch; when some fail, each carries its `http_status_code`. */
export type BatchDataItem = (DataResponse | (OpaErrorBody & { readonly decision_id?: string })) & {
  readonly http_status_code?: string;
};

/** The answer to a batch: `200`, `207` when some inputs fail, `500` when all do. */
export interface BatchDataResponse {
  readonly responses: Readonly<Record<string, BatchDataItem>>;
}

/** The request path of an entrypoint in the Data API. */
export function dataPath(entrypoint: string): string {
  return `/v1/data/${entrypoint}`;
}

/** The bundle revisions of a provenance, joined (one bundle: its revision). */
export function revisionOf(response: DataResponse): string {
  const bundles = Object.values(response.provenance?.bundles ?? {});
  return bundles.map((bundle) => bundle.revision ?? '').join(',');
}
